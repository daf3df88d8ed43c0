import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@worker_process_init.connect
def _freeze_startup_objects(**kwargs):
    """Everything loaded at start out of the garbage collector's reach (``portal.startup``): a chunk of
    enforcement then pays collections for its own objects only."""
    from portal.startup import startup_objects_freeze

    startup_objects_freeze()
