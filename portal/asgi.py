"""The ASGI entry point (uvicorn): Django, with the MCP server for AI agents mounted at ``/mcp/``.

Requests under ``/mcp`` go to the MCP server (``portal.mcp.http``); everything else goes to Django. The lifespan
events start and stop the MCP server's session manager (Django has no lifespan of its own).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_application = get_asgi_application()

from portal.mcp.http import mcp_asgi_app  # noqa: E402 - needs Django set up first

mcp_application = mcp_asgi_app()

from portal.startup import full_collections_between_requests, startup_objects_freeze  # noqa: E402

startup_objects_freeze()
full_collections_between_requests()


async def application(scope, receive, send):
    path = scope.get("path", "")
    if scope["type"] == "lifespan" or (scope["type"] == "http" and (path == "/mcp" or path.startswith("/mcp/"))):
        await mcp_application(scope, receive, send)
        return
    await django_application(scope, receive, send)
