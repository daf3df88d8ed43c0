"""The MCP server over streamable HTTP, as an ASGI app that ``portal.asgi`` mounts at ``/mcp/`` next to Django.

Stateless and JSON: every POST carries its bearer API token and is answered on its own, so any number of server
processes can sit behind a load balancer, like the web tier. Host and Origin headers are checked against Django's
``ALLOWED_HOSTS`` and ``CSRF_TRUSTED_ORIGINS`` (DNS-rebinding protection).
"""

from django.conf import settings
from mcp.server.transport_security import TransportSecuritySettings

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


def mcp_asgi_app():
    """The Starlette app serving ``MCP_PATH``; its lifespan runs the SDK's session manager."""
    return build_server().streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(),
    )
