"""The one place that answers "may this user do X" in enforcement.

Compliance (scores per domain and standard) is open to everyone signed in. Violations are seen by the product's
team, the council (members and chair) and admins; owners ask for waivers, the chair decides them; admins and staff
watch enforcement runs, admins start them and set auto-actions.
"""

from django.db.models import Q

from governance.models import Seat
from portal.permissions import is_portal_admin, is_signed_in
from portal.request_cache import forget_on_delete_of, memo
from products.models import DataProduct
from products.permissions import can_edit_product, product_editable_q

forget_on_delete_of(Seat)


def _is_any_council_member(user) -> bool:
    return is_signed_in(user) and memo(("holds_seat", user.pk), Seat.objects.voted_by(user).exists)


def _is_any_chair(user) -> bool:
    return is_signed_in(user) and Seat.objects.filter(holder=user, is_chair=True).exists()


def _editable_products(user):
    return DataProduct.objects.filter(product_editable_q(user)).values("pk")


def violation_visibility_q(user) -> Q:
    """Violations ``user`` may see: those of products their team edits; all for the council and admins."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser or _is_any_council_member(user):
        return Q()
    return Q(product__in=_editable_products(user))


def can_view_product_violations(user, product) -> bool:
    if not is_signed_in(user):
        return False
    return user.is_superuser or _is_any_council_member(user) or can_edit_product(user, product)


def can_request_waiver(user, product) -> bool:
    """Members of the owning team (and admins) ask for waivers of their product."""
    return can_edit_product(user, product)


def waiver_visibility_q(user) -> Q:
    """Waivers ``user`` may see: their team's products' and their own; all for the council and admins."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser or _is_any_council_member(user):
        return Q()
    return Q(product__in=_editable_products(user)) | Q(requested_by=user)


def can_decide_waiver(user, waiver) -> bool:
    """The council chair decides (admins too); never the person who asked."""
    if not is_signed_in(user) or waiver.requested_by_id == user.pk:
        return False
    return user.is_superuser or _is_any_chair(user)


def can_view_enforcement_runs(user) -> bool:
    return is_signed_in(user) and (user.is_superuser or user.is_staff)


def can_start_enforcement_run(user) -> bool:
    return is_portal_admin(user)


def can_configure_auto_actions(user) -> bool:
    return is_portal_admin(user)
