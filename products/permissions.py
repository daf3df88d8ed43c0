"""The one place that answers "may this user do X to this product or team".

Pages, API views, admin actions, Celery tasks and the MCP server call these functions and nothing else. Object
permissions are django-guardian's, granted to the owning team's auth group; guardian calls live in this module only.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import OuterRef, Q, Subquery
from guardian.shortcuts import assign_perm, remove_perm

from portal.permissions import is_portal_admin, is_signed_in
from portal.request_cache import forget_on_delete_of, memo, remember
from products.models import (
    DataProduct,
    DataProductGroupObjectPermission,
    DataProductUserObjectPermission,
    Membership,
    Team,
)

forget_on_delete_of(DataProductGroupObjectPermission, DataProductUserObjectPermission, Membership)

PRODUCT_EDIT_PERMS = ("change_dataproduct", "publish_dataproduct")


# Permission rows by codename, read once per process: every visibility filter names them, and a literal id keeps
# the auth_permission join out of the query (planning the joins cost more than running the query). Only a migration
# or a test database flush numbers them anew: ``post_migrate`` reads them again in the process that ran it, and web
# and worker processes start afresh after a deploy's migrations, as they must for Django's own content type cache.
_permission_ids: dict[str, int] = {}


def _permission_ids_load() -> None:
    """Every product permission's id, in one query."""
    _permission_ids.clear()
    _permission_ids.update(
        Permission.objects.filter(content_type__app_label=DataProduct._meta.app_label).values_list("codename", "pk")
    )


def _permission_id(codename: str) -> int | None:
    """None for a permission that does not exist (yet): nobody holds it."""
    if codename not in _permission_ids:
        _permission_ids_load()
    return _permission_ids.get(codename)


def permission_ids_reload(sender, **kwargs) -> None:
    """``post_migrate``, connected by the app after auth's ``create_permissions``: once this app's permissions are
    (re)created, their ids are read again."""
    if sender.label == DataProduct._meta.app_label:
        _permission_ids_load()


def _user_groups(user):
    return get_user_model().groups.through.objects.filter(user_id=user.pk).values("group_id")


def _team_grants(user, *codenames: str):
    """Object permissions ``codenames`` held through ``user``'s teams (their auth groups)."""
    return DataProductGroupObjectPermission.objects.filter(
        group_id__in=_user_groups(user), permission_id__in=[_permission_id(codename) for codename in codenames]
    )


def _own_grants(user, *codenames: str):
    """Object permissions ``codenames`` granted to ``user`` personally."""
    return DataProductUserObjectPermission.objects.filter(
        user_id=user.pk, permission_id__in=[_permission_id(codename) for codename in codenames]
    )


def product_visibility_q(user) -> Q:
    """Which products ``user`` may see: everything but drafts, plus the drafts their team may edit (for lists;
    ``product_viewable`` answers the same for a row in hand)."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return (
        ~Q(status=DataProduct.Status.DRAFT)
        | Q(pk__in=_team_grants(user, "change_dataproduct").values("content_object_id"))
        | Q(pk__in=_own_grants(user, "change_dataproduct").values("content_object_id"))
    )


def product_editable_q(user) -> Q:
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return Q(pk__in=_team_grants(user, "change_dataproduct").values("content_object_id"))


def _product_perms(user, product_id: int) -> frozenset[str]:
    # Once per request (a page asks from its view and from every panel); read afresh by each request, so a revoke
    # bites on the very next one.
    return memo(("product_perms", user.pk, product_id), lambda: product_perms_read(user, [product_id])[product_id])


def product_perms_read(user, product_ids) -> dict[int, frozenset[str]]:
    """The edit permissions ``user`` holds on each of ``product_ids`` (through a team or personally), read in one
    query of the object permission rows guardian itself reads, and kept for the rest of the request; an inactive
    user holds none, as guardian answers."""
    product_ids = list(dict.fromkeys(product_ids))
    held: dict[int, set[str]] = {product_id: set() for product_id in product_ids}
    if user.is_active and product_ids:
        codenames = {_permission_id(perm): perm for perm in PRODUCT_EDIT_PERMS}
        team = _team_grants(user, *PRODUCT_EDIT_PERMS).filter(content_object_id__in=product_ids)
        own = _own_grants(user, *PRODUCT_EDIT_PERMS).filter(content_object_id__in=product_ids)
        columns = ("content_object_id", "permission_id")
        for product_id, permission_id in team.values_list(*columns).union(own.values_list(*columns)):
            held[product_id].add(codenames[permission_id])
    perms = {product_id: frozenset(names) for product_id, names in held.items()}
    for product_id, names in perms.items():
        remember(("product_perms", user.pk, product_id), names)
    return perms


def product_role_annotation(user) -> dict:
    """The user's role in the product's owning team, read with the product row itself (for pages that load one
    product and then ask about it); ``product_role_remember`` keeps it for the request."""
    if not is_signed_in(user) or not user.is_active or user.is_superuser:
        return {}  # (nothing a role would decide for them)
    return {
        "_owner_team_role": Subquery(
            Membership.objects.filter(user=user, team_id=OuterRef("owner_team_id")).order_by("pk").values("role")[:1]
        )
    }


def product_role_remember(user, product: DataProduct) -> None:
    if hasattr(product, "_owner_team_role"):
        remember(("team_role", user.pk, product.owner_team_id), product._owner_team_role)


def _holds(user, perm: str, product: DataProduct) -> bool:
    return perm in _product_perms(user, product.pk)


def can_view_product(user, product: DataProduct) -> bool:
    return product_viewable(user, product.pk, product.status)


def product_viewable(user, product_id: int, status: str, *, perms: frozenset[str] | None = None) -> bool:
    """``can_view_product`` for a product known by its id and status (a row read as values): everything but
    drafts, and the drafts the user may edit. ``perms``: the user's permissions on it, if already read (for many
    products at once, ``product_perms_read``)."""
    if not is_signed_in(user):
        return False
    if status != DataProduct.Status.DRAFT or user.is_superuser:
        return True
    return "change_dataproduct" in (perms if perms is not None else _product_perms(user, product_id))


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
    return memo(
        ("team_role", user.pk, team_id),
        lambda: Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first(),
    )


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
