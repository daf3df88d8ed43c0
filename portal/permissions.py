"""Who a user is, for every app: the two questions every permission module starts from; who may revoke a personal
API token, and what a token may do."""


def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_portal_admin(user) -> bool:
    return bool(is_signed_in(user) and user.is_superuser)


def portal_admin_ids() -> list[int]:
    """Who is told when something needs an administrator: the active superusers."""
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("pk", flat=True))


def can_revoke_api_token(user, token) -> bool:
    """A token's owner revokes it; so does staff allowed to delete API tokens in the admin (a leaked token)."""
    if not is_signed_in(user):
        return False
    return token.user_id == user.pk or (user.is_staff and user.has_perm("portal.delete_apitoken"))


def token_may_write(token) -> bool:
    """Whether a call made with ``token`` may change anything. A read-only token only reads, in the REST API and
    the MCP server alike; a call without a token (a signed-in browser) is not limited here."""
    return not getattr(token, "read_only", False)
