from portal.models import ApiToken, AuditEvent, Notification


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def notification_list(*, user, unread_only: bool = False):
    queryset = Notification.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at=None)
    return queryset.order_by("-created_at", "-id")


def audit_history(*, target, limit: int = 50) -> list[AuditEvent]:
    """The audit rows written about ``target``, newest first (the History tab of products, terms, requests)."""
    return list(
        AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def api_tokens_of(*, user):
    """The user's own API tokens, newest first. Nobody lists another person's tokens, outside the admin."""
    return ApiToken.objects.filter(user=user).order_by("-created", "-id")
