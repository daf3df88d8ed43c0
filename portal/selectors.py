from django.db.models import Q

from portal.models import AuditEvent, Notification


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def notification_list(*, user, unread_only: bool = False):
    queryset = Notification.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at=None)
    return queryset.order_by("-created_at", "-id")


def audit_for(*, target, limit: int = 50) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def global_search(*, user, text: str, limit: int = 10) -> dict:
    """Products, glossary terms and standards matching ``text`` that ``user`` may see, each list best first.

    Products and terms come from their search indexes; standards are few and matched on code and title.
    """
    from glossary.selectors import term_search
    from governance.selectors import standard_list
    from products.selectors import product_list

    text = (text or "").strip()
    if not text:
        return {"products": [], "terms": [], "standards": []}
    standards = standard_list(user=user).filter(Q(code__iexact=text) | Q(title__icontains=text))
    return {
        "products": list(product_list(user=user, filters={"q": text})[:limit]),
        "terms": term_search(user=user, text=text, limit=limit),
        "standards": list(standards[:limit]),
    }
