"""Unmasked access later: the holder of a live, masked grant who has since gained a clearance asks for the grant to
be unmasked. It is a new decision by the request's approvers (``permissions.access_request_approvers``), filed as an
access request with ``upgrades`` set and ``renewal_of`` naming the grant; approving it unmasks the grant and keeps
its expiry (``services._grant_for_approved``)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.errors import DomainError, require
from portal.services import audit_record
from products.access import permissions, services
from products.access.models import AccessGrant, AccessRequest, Clearance
from products.models import Classification


@transaction.atomic
def grant_upgrade_request(*, actor, grant: AccessGrant, purpose: str, now=None) -> AccessRequest:
    """File the request to unmask ``grant``. Refuses, naming the reason, when the grant is not the actor's, has
    ended or is unmasked already, when the actor holds no valid GDPR clearance, or when a request for the port
    is pending."""
    now = now or timezone.now()
    grant = AccessGrant.objects.select_for_update().select_related("port__product", "request").get(pk=grant.pk)
    require(permissions.can_renew_grant(actor, grant), "Only the grantee asks to unmask a grant.")
    permissions.port_served_require(grant.port)
    if not grant.is_live(now):
        raise DomainError("This grant has ended; request access anew.", field="grant")
    if grant.unmasked_pii:
        raise DomainError("This grant is unmasked already.", field="grant")
    if not services.has_valid_clearance(actor, Clearance.Kind.GDPR, now=now):
        raise DomainError(
            "You hold no valid clearance: ask the data-protection group to record one first.", field="grant"
        )
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError("Say why you need the classified columns unmasked.", field="purpose")
    product = grant.port.product
    access_request = AccessRequest(
        requester=actor,
        port=grant.port,
        purpose=purpose,
        duration_days=grant.request.duration_days,
        wants_unmasked_pii=True,
        renewal_of=grant,
        upgrades=True,
        approvals_required=2 if product.classification == Classification.RESTRICTED else 1,
        created_at=now,
    )
    try:
        with transaction.atomic():
            access_request.save()
    except IntegrityError as exc:
        raise DomainError("You already have a pending request for this port.", field="grant") from exc
    audit_record(
        actor=actor,
        action="access_request.upgrade",
        target=access_request,
        to_state=access_request.status,
        data={"grant": grant.pk},
    )
    services.access_request_approvers_tell(
        access_request,
        kind="access.request",
        title=f"{actor.get_full_name() or actor.username} asks to unmask their access to {product.name} / "
        f"{grant.port.name}",
        body=purpose,
    )
    return access_request
