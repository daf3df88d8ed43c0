"""Who is calling: the MCP server takes the same personal API tokens as the REST API, checked the same way.

Over streamable HTTP the token arrives as ``Authorization: Bearer <key>`` and the SDK's bearer middleware asks
``ApiTokenVerifier``; a request without a valid token gets 401 before any tool runs. Over stdio the key comes from
an environment variable. Either way every tool call checks the key again (``caller_authenticate``), so a token
revoked in the middle of a session stops working at its next call.
"""

from dataclasses import dataclass

from django.conf import settings
from mcp.server.auth.provider import AccessToken, TokenVerifier
from rest_framework.exceptions import AuthenticationFailed

from portal.api.authentication import api_token_authenticate
from portal.mcp.orm import in_django
from portal.models import ApiToken
from portal.permissions import token_may_write

SCOPE_READ = "mesh:read"
SCOPE_WRITE = "mesh:write"
REFUSED = "Your API token is invalid, expired or revoked. Make a new one on the API tokens page."


class NotAuthenticated(Exception):
    """The key is not a live API token of an active user."""


@dataclass(frozen=True)
class Caller:
    """The person an agent acts for, and the token it acts with."""

    user: object
    token: ApiToken

    @property
    def read_only(self) -> bool:
        """Read-only when the portal runs its MCP server read-only or the token is a read-only one."""
        return settings.MESH_MCP_READ_ONLY or not token_may_write(self.token)


def caller_authenticate(key: str | None) -> Caller:
    """The caller behind ``key``, or ``NotAuthenticated`` (the API's own check: ``api_token_authenticate``)."""
    if not key:
        raise NotAuthenticated(REFUSED)
    try:
        user, token = api_token_authenticate(key.encode("ascii", "replace"))
    except AuthenticationFailed:
        raise NotAuthenticated(REFUSED) from None
    return Caller(user=user, token=token)


class ApiTokenVerifier(TokenVerifier):
    """The SDK's bearer-token hook: a live API token passes, anything else is refused with 401."""

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            caller = await in_django(caller_authenticate, token)
        except NotAuthenticated:
            return None
        expiry = caller.token.expiry
        return AccessToken(
            token=token,
            client_id=f"api-token:{caller.token.pk}",
            subject=str(caller.user.pk),
            scopes=[SCOPE_READ] if caller.read_only else [SCOPE_READ, SCOPE_WRITE],
            expires_at=int(expiry.timestamp()) if expiry else None,
        )
