import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

from portal.startup import full_collections_between_requests, startup_objects_freeze  # noqa: E402 - needs Django set up first

startup_objects_freeze()
full_collections_between_requests()
