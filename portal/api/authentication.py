"""How pipelines and agents authenticate to the API: a personal API token (``portal.models.ApiToken``)."""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from portal.services import api_token_touch

# Keys are "mpt_" and 64 hex digits; tokens carried over from the former DRF tokens are 40 hex digits. Anything
# else is refused before it reaches the database (a NUL or a non-ASCII byte would not even make a valid query).
KEY_PATTERN = re.compile(rb"[A-Za-z0-9_-]{16,128}")
MALFORMED = "Send Authorization: Token <key> (or Bearer <key>) with one API token."


def api_token_authenticate(key: bytes) -> tuple:
    """(user, token) for a personal API token's key, or ``AuthenticationFailed``: a malformed, unknown, expired or
    revoked key, or the token of a deactivated user. The one check behind the API and the MCP server."""
    if not KEY_PATTERN.fullmatch(key):
        raise AuthenticationFailed(MALFORMED)
    return ApiTokenAuthentication().authenticate_credentials(key)


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` (pipelines) or ``Authorization: Bearer <key>`` (agents, MCP clients).

    Knox finds the token by its first characters and compares SHA-512 digests; an expired token is refused (and
    deleted), as is the token of a deactivated user. Each use is recorded as the token's last use. A 401 carries
    ``WWW-Authenticate: Token``.
    """

    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None  # no header, or one for another scheme
        if len(header) != 2 or not KEY_PATTERN.fullmatch(header[1]):
            raise AuthenticationFailed(MALFORMED)
        return self.authenticate_credentials(header[1])

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        api_token_touch(token)
        return user, token

    def authenticate_header(self, request):
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API token (made on the API tokens page or with POST /api/v1/tokens/), sent "
            'as "Token <key>" or "Bearer <key>". It acts with its user\'s permissions.',
        }
