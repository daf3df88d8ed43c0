"""Helpers for the access tests (fixtures are in ``tests/products/conftest.py``)."""

from datetime import timedelta

from django.utils import timezone

from products.access import services as access_services
from tests import factories

CUSTOMER_FIELDS = [
    ("customer_id", "bigint", ""),
    ("email", "string", "pii"),
    ("full_name", "string", "pii"),
    ("date_of_birth", "date", "pii"),
    ("country", "string", ""),
    ("lifetime_value", "decimal", ""),
    ("is_active", "boolean", ""),
]


def grant_for(user, port, *, approvers, pii: bool = False, now=None, days: int = 90):
    """File a request as ``user`` and approve it by each of ``approvers``; returns the grant."""
    access_request = access_services.access_request_create(
        actor=user, port=port, purpose="Analysis", duration_days=days, wants_unmasked_pii=pii, now=now
    )
    for approver_user in approvers:
        access_request = access_services.access_request_approve(
            actor=approver_user, access_request=access_request, now=now
        )
    return access_request.grant


def clear(user, kind: str = "gdpr", days: int = 365):
    return factories.ClearanceFactory(user=user, kind=kind, expires_at=timezone.now() + timedelta(days=days))


def anas_customer_360_request(users):
    """Ana's pending request for Customer 360 (restricted), as an analyst files it on the demo: the demo itself
    starts her with nothing pending."""
    from products.access.models import AccessRequest
    from products.models import OutputPort

    ana = users["ana"]
    existing = AccessRequest.objects.filter(requester=ana, port__product__slug="customer-360").first()
    if existing:
        return existing
    port = OutputPort.objects.filter(product__slug="customer-360").order_by("pk").first()
    return access_services.access_request_create(
        actor=ana, port=port, purpose="Churn analysis for the quarterly review.", duration_days=90
    )
