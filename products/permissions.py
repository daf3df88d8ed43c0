"""The one place that answers "may this user do X to this product or team".

Pages, API views, admin actions, Celery tasks and the MCP server call these functions and nothing else. Object
permissions are django-guardian's, granted to the owning team's auth group; guardian calls live in this module only.
"""

from django.db.models import Q
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from portal.permissions import is_portal_admin, is_signed_in
from products.models import (
    DataProduct,
    DataProductGroupObjectPermission,
    DataProductUserObjectPermission,
    Team,
)

PRODUCT_EDIT_PERMS = ("change_dataproduct", "publish_dataproduct")


def product_visibility_q(user) -> Q:
    """Which products ``user`` may see: everything but drafts, plus the drafts their team may edit."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    via_group = DataProductGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="change_dataproduct"
    ).values("content_object_id")
    via_user = DataProductUserObjectPermission.objects.filter(
        user=user, permission__codename="change_dataproduct"
    ).values("content_object_id")
    return ~Q(status=DataProduct.Status.DRAFT) | Q(pk__in=via_group) | Q(pk__in=via_user)


def product_editable_q(user) -> Q:
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    via_group = DataProductGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="change_dataproduct"
    ).values("content_object_id")
    return Q(pk__in=via_group)


def _holds(user, perm: str, product: DataProduct) -> bool:
    # A fresh checker per call: guardian caches per checker, and a revoke must bite on the very next request.
    return ObjectPermissionChecker(user).has_perm(perm, product)


def can_view_product(user, product: DataProduct) -> bool:
    if not is_signed_in(user):
        return False
    if product.status != DataProduct.Status.DRAFT or user.is_superuser:
        return True
    return _holds(user, "change_dataproduct", product)


def can_edit_product(user, product: DataProduct) -> bool:
    """Members of the owning team (and admins) edit a product's page, ports, schema and lineage."""
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    return _holds(user, "change_dataproduct", product)


def can_change_product_status(user, product: DataProduct) -> bool:
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    return _holds(user, "publish_dataproduct", product)


def teams_user_may_own_for(user):
    """Teams on whose behalf ``user`` may create products: their own teams (all teams for admins)."""
    if not is_signed_in(user):
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(group__user=user)


def can_create_product_for(user, team: Team) -> bool:
    return teams_user_may_own_for(user).filter(pk=team.pk).exists()


def can_subscribe_team(user, team: Team) -> bool:
    return can_create_product_for(user, team)


def product_permissions_grant(product: DataProduct, team: Team) -> None:
    for perm in PRODUCT_EDIT_PERMS:
        assign_perm(perm, team.group, product)


def product_permissions_revoke(product: DataProduct, team: Team) -> None:
    for perm in PRODUCT_EDIT_PERMS:
        remove_perm(perm, team.group, product)


# --- Access to data ------------------------------------------------------------------------------------------
# Access is decided by team roles, not guardian rows: an owner or access approver of the owning team decides
# requests and revokes grants; reading rows needs a live grant (or membership of the owning team).

ACCESS_DECIDER_ROLES = ("owner", "approver")


def _team_role(user, team_id: int) -> str | None:
    from products.models import Membership

    return Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first()


def is_access_decider_for(user, product: DataProduct) -> bool:
    """Owners and access approvers of the product's team (and portal admins) decide on access to it."""
    if not is_signed_in(user):
        return False
    return user.is_superuser or _team_role(user, product.owner_team_id) in ACCESS_DECIDER_ROLES


def access_decider_products_q(user) -> Q:
    """Products whose access requests and grants ``user`` manages, as a filter on ``DataProduct``."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    from products.models import Membership

    teams = Membership.objects.filter(user=user, role__in=ACCESS_DECIDER_ROLES).values("team_id")
    return Q(owner_team_id__in=teams)


def can_request_access(user, port) -> bool:
    """Any signed-in user who can see a published product may ask for its ports."""
    product = port.product
    return is_signed_in(user) and product.status == DataProduct.Status.PUBLISHED and can_view_product(user, product)


def can_view_access_request(user, access_request) -> bool:
    if not is_signed_in(user):
        return False
    return access_request.requester_id == user.pk or is_access_decider_for(user, access_request.port.product)


def can_decide_access_request(user, access_request) -> bool:
    """An owner or approver of the owning team decides; nobody decides their own request, whatever their role."""
    if not is_signed_in(user) or access_request.requester_id == user.pk:
        return False
    return is_access_decider_for(user, access_request.port.product)


def can_withdraw_access_request(user, access_request) -> bool:
    return is_signed_in(user) and access_request.requester_id == user.pk


def can_view_grant(user, grant) -> bool:
    if not is_signed_in(user):
        return False
    return grant.user_id == user.pk or is_access_decider_for(user, grant.port.product)


def can_revoke_grant(user, grant) -> bool:
    return is_access_decider_for(user, grant.port.product)


def can_renew_grant(user, grant) -> bool:
    return is_signed_in(user) and grant.user_id == user.pk


def can_read_port_data(user, port, *, now=None) -> bool:
    """Sample rows, previews and exports: a live grant on the port, or membership of the owning team.

    Admins are not special here: managing the portal is not a reason to read customers' data."""
    from products.models import AccessGrant

    if not is_signed_in(user):
        return False
    if _team_role(user, port.product.owner_team_id) is not None:
        return True
    return AccessGrant.objects.filter(
        user=user, port=port, status=AccessGrant.Status.ACTIVE, expires_at__gt=now or timezone.now()
    ).exists()


def can_manage_clearances(user) -> bool:
    return is_portal_admin(user)


# --- Quality checks ------------------------------------------------------------------------------------------
# Whoever may see a product sees its quality; the owning team manages checks and runs them; only the team's
# owners (and admins) hand out ingest tokens, since a token lets a pipeline write results without a person.


def can_view_quality(user, product: DataProduct) -> bool:
    return can_view_product(user, product)


def can_manage_quality_checks(user, product: DataProduct) -> bool:
    return can_edit_product(user, product)


def can_run_quality_checks(user, product: DataProduct) -> bool:
    return can_edit_product(user, product)


def can_push_quality_results(user, product: DataProduct) -> bool:
    """Signed-in people pushing results (tokens are checked against their product by the API view)."""
    return can_edit_product(user, product)


def can_manage_ingest_tokens(user, product: DataProduct) -> bool:
    if not is_signed_in(user):
        return False
    return user.is_superuser or _team_role(user, product.owner_team_id) == "owner"
