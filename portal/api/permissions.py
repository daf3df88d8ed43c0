"""API permission classes that every endpoint shares (``DEFAULT_PERMISSION_CLASSES``)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.permissions import token_may_write


class TokenScopeAllows(BasePermission):
    """A read-only API token reads: any unsafe method made with it is refused (403), whatever its user may do.
    The decision is ``portal.permissions.token_may_write``, which the MCP server asks too."""

    message = "This API token is read-only: it cannot change anything. Use a token made without “read-only”."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or token_may_write(request.auth)
