"""The one place that answers "may this user do X to this product or team".

Pages, API views, admin actions, Celery tasks and the MCP server call these functions and nothing else. Object
permissions are django-guardian's, granted to the owning team's auth group; guardian calls live in this module only.
"""

from django.db.models import Q
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from portal.permissions import is_portal_admin, is_signed_in
from products.models import (
    DataProduct,
    DataProductGroupObjectPermission,
    DataProductUserObjectPermission,
    Membership,
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


def team_role(user, team_id: int) -> str | None:
    """The user's role in the team (owner, approver, member), or None when not a member."""
    return Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first()


def can_redeliver_webhooks(user) -> bool:
    """Sending webhook events again (a receiver lost them) is an administrator's call."""
    return is_portal_admin(user)


def can_manage_team(user, team: Team) -> bool:
    """A team's owners (and admins) add and remove its members and set their roles."""
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    return team_role(user, team.pk) == Membership.Role.OWNER


def can_transfer_product(user, product: DataProduct) -> bool:
    """An owner of the owning team (or an admin) hands a product to another team."""
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    return team_role(user, product.owner_team_id) == Membership.Role.OWNER
