"""Who may ask for, decide on and read data. Access is decided by team roles, not guardian rows: an owner or
access approver of the owning team decides requests and revokes grants; reading rows needs a live grant (or
membership of the owning team)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portal.errors import DomainError
from portal.models import AuditEvent
from portal.permissions import is_portal_admin, is_signed_in
from products.access.models import AccessGrant
from products.models import DataProduct, Membership
from products.permissions import can_view_product, team_role

ACCESS_DECIDER_ROLES = ("owner", "approver")


def is_access_decider_for(user, product: DataProduct) -> bool:
    """Owners and access approvers of the product's team (and portal admins) decide on access to it."""
    if not is_signed_in(user):
        return False
    return user.is_superuser or team_role(user, product.owner_team_id) in ACCESS_DECIDER_ROLES


def access_decider_products_q(user) -> Q:
    """Products whose access requests and grants ``user`` manages, as a filter on ``DataProduct``."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()

    teams = Membership.objects.filter(user=user, role__in=ACCESS_DECIDER_ROLES).values("team_id")
    return Q(owner_team_id__in=teams)


class PortGone(DomainError):
    """The port's product is retired: its data is no longer served. Pages answer 410 Gone, the preview API a 410
    ``{"detail": ...}``, and a new access request a 400 naming the port."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="port", code="gone")


def is_port_served(port) -> bool:
    """Whether the port's data is still served, whoever asks. A retired product's ports serve nothing: previews,
    exports, the preview API, new requests and approvals all ask here (its grants were revoked on retirement); so
    does a port retired at its sunset after a successor port took over."""
    return port.product.status != DataProduct.Status.RETIRED and port.retired_at is None


def port_served_require(port) -> None:
    """Refuse (``PortGone``, saying since when) unless ``is_port_served``."""
    if is_port_served(port):
        return
    product = port.product
    if port.retired_at is not None and product.status != DataProduct.Status.RETIRED:
        successor = f" Use {port.successor.name} instead." if port.successor_id else ""
        raise PortGone(
            f"{product.name} / {port.name} was retired on {timezone.localdate(port.retired_at):%Y-%m-%d}; its data "
            f"is no longer served.{successor}"
        )
    retired_at = (
        AuditEvent.objects.filter(
            target_type=DataProduct._meta.label_lower, target_id=str(product.pk), action="product.retired"
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    ) or product.updated_at  # a product retired before retirements were audited
    raise PortGone(
        f"{product.name} was retired on {timezone.localdate(retired_at):%Y-%m-%d}; its data is no longer served."
    )


def can_request_access(user, port) -> bool:
    """Any signed-in user who can see a published product may ask for its ports."""
    product = port.product
    return is_signed_in(user) and product.status == DataProduct.Status.PUBLISHED and can_view_product(user, product)


def _approver_ids(access_request) -> set[int]:
    return {approval.approver_id for approval in access_request.approvals.all()}  # prefetched by the selectors


def access_request_approvers(access_request):
    """Who may decide ``access_request`` now, by name: the people the request page says it waits for and the
    people told about it. The one rule behind every front door (``can_decide_access_request``):

    1. the owners and access approvers of the product's team;
    2. for a request that needs a second approval (a restricted product) once the first one is given, also the
       data-protection group (``settings.MESH_DATA_PROTECTION_GROUP``);
    3. never the requester, never anyone who already approved it, never a deactivated account;
    4. nobody once it is decided.

    Portal admins may also decide (``can_decide_access_request``) but are not named or told: they step in, they are
    not waited for. One query."""
    if access_request.status != "pending":
        return get_user_model().objects.none()
    return _approvers(access_request)


def _approvers(access_request):
    approved = _approver_ids(access_request)
    chosen = Q(
        memberships__team_id=access_request.port.product.owner_team_id,
        memberships__role__in=ACCESS_DECIDER_ROLES,
    )
    if access_request.approvals_required > 1 and approved:
        chosen |= Q(groups__name=settings.MESH_DATA_PROTECTION_GROUP)
    return (
        get_user_model()
        .objects.filter(chosen, is_active=True)
        .exclude(pk__in=approved | {access_request.requester_id})
        .distinct()
        .order_by("username")
    )


def access_requests_decidable_q(user) -> Q:
    """Requests (pending or not) that ``user`` decides or decided, as a filter on ``AccessRequest``: the team's
    deciders see their products' requests; the data-protection group sees those needing a second approval."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q(pk__isnull=False)  # not Q(): an empty Q vanishes when OR-ed with another
    chosen = Q(port__product__in=DataProduct.objects.filter(access_decider_products_q(user)))
    if is_data_protection_officer(user):
        chosen |= Q(approvals_required__gt=1)
    return chosen


def access_requests_awaiting_q(user) -> Q:
    """Pending requests waiting for ``user`` now, as a filter on ``AccessRequest``: the list form of
    ``access_request_approvers`` ("Waiting for your decision")."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    from products.access.models import AccessApproval

    approved = AccessApproval.objects.filter(request=OuterRef("pk"))
    team = Q(port__product__in=DataProduct.objects.filter(access_decider_products_q(user)))
    if user.is_superuser:
        team = Q()  # admins see everything they may decide, though they are not waited for
    if is_data_protection_officer(user):
        team |= Q(approvals_required__gt=1) & Exists(approved)
    return Q(status="pending") & team & ~Q(requester=user) & ~Exists(approved.filter(approver=user))


def can_decide_access_request(user, access_request) -> bool:
    """Whoever ``access_request_approvers`` names, and portal admins; nobody decides their own request or
    approves twice, whatever their role."""
    if not is_signed_in(user) or access_request.requester_id == user.pk:
        return False
    if user.pk in _approver_ids(access_request):
        return False
    return user.is_superuser or _approvers(access_request).filter(pk=user.pk).exists()


def can_withdraw_access_request(user, access_request) -> bool:
    return is_signed_in(user) and access_request.requester_id == user.pk


def can_revoke_grant(user, grant) -> bool:
    return is_access_decider_for(user, grant.port.product)


def can_renew_grant(user, grant) -> bool:
    return is_signed_in(user) and grant.user_id == user.pk


def can_upgrade_grant(user, grant, *, now=None) -> bool:
    """The grantee of a live grant approved with classified columns masked may ask to unmask it."""
    return can_renew_grant(user, grant) and grant.is_live(now) and not grant.unmasked_pii


def can_read_port_data(user, port, *, now=None) -> bool:
    """Sample rows, previews and exports: a live grant on the port, or membership of the owning team.

    Admins are not special here: managing the portal is not a reason to read customers' data."""
    if not is_signed_in(user):
        return False
    if team_role(user, port.product.owner_team_id) is not None:
        return True
    return AccessGrant.objects.filter(
        user=user, port=port, status=AccessGrant.Status.ACTIVE, expires_at__gt=now or timezone.now()
    ).exists()


def can_provision_warehouse(user) -> bool:
    """Creating roles and granting in a warehouse is the portal administrators' job."""
    return is_portal_admin(user)


def is_data_protection_officer(user) -> bool:
    """A member of the data-protection group (``settings.MESH_DATA_PROTECTION_GROUP``)."""
    return is_signed_in(user) and user.groups.filter(name=settings.MESH_DATA_PROTECTION_GROUP).exists()


def can_manage_clearances(user) -> bool:
    """The data-protection group (and portal admins) record and revoke clearances."""
    return is_portal_admin(user) or is_data_protection_officer(user)
