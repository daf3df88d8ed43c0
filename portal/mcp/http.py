"""The MCP server over streamable HTTP, as an ASGI app that ``portal.asgi`` mounts at ``/mcp/`` next to Django.

Stateless and JSON: every POST carries its bearer API token and is answered on its own, so any number of server
processes can sit behind a load balancer, like the web tier. Host and Origin headers are checked against Django's
``ALLOWED_HOSTS`` and ``CSRF_TRUSTED_ORIGINS`` (DNS-rebinding protection).
"""

from django.conf import settings
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse

from portal import outage
from portal.mcp.server import build_server

MCP_PATH = "/mcp/"


def transport_security() -> TransportSecuritySettings:
    """The SDK's Host/Origin checks, from Django's own lists (a host ``*`` turns them off, as it does in Django)."""
    hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS]
    if "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    allowed_hosts = [pattern for host in hosts for pattern in (host, f"{host}:*")]
    origins = [
        origin
        for host in hosts
        for scheme in ("http", "https")
        for origin in (f"{scheme}://{host}", f"{scheme}://{host}:*")
    ]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=allowed_hosts,
        allowed_origins=[*origins, *settings.CSRF_TRUSTED_ORIGINS],
    )


async def server_error(request, error):
    """What an agent gets when a request fails outside a tool (checking its token, say): a JSON 503 with
    ``Retry-After`` while the database is unreachable, as the REST API answers, and a JSON 500 naming nothing of
    the error otherwise (it is logged)."""
    if outage.is_unavailable(error):
        headers = {"Retry-After": str(outage.RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        body = {"detail": outage.MESSAGE, "retry_after": outage.RETRY_AFTER_SECONDS}
        return JSONResponse(body, status_code=503, headers=headers)
    return JSONResponse({"detail": "The portal could not answer; the error has been logged."}, status_code=500)


def mcp_asgi_app():
    """The Starlette app serving ``MCP_PATH``; its lifespan runs the SDK's session manager."""
    app = build_server().streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(),
    )
    app.add_exception_handler(Exception, server_error)  # Starlette's outermost error handler
    return app
