"""Who may do what to a port's contract: one function per decision, called by pages, the API, the admin and jobs."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from portal.permissions import is_portal_admin, is_signed_in
from products.access.permissions import is_data_protection_officer
from products.contracts.models import Declassification, SchemaVersion
from products.permissions import can_edit_product, can_view_product

# Other apps name who else reviews a column's declassification (the glossary: stewards of the product's domain),
# each as a pair: ``reviewers(declassification)``, a queryset of users; ``reviewable_q(user)``, a Q over requests.
_reviewer_sources: list[tuple[Callable, Callable]] = []


def declassification_reviewers_register(*, reviewers: Callable, reviewable_q: Callable) -> None:
    if (reviewers, reviewable_q) not in _reviewer_sources:
        _reviewer_sources.append((reviewers, reviewable_q))


def reviewable_q(user) -> Q:
    """The requests ``user`` may review, as a filter (the requester's own never among them)."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if is_portal_admin(user) or is_data_protection_officer(user):
        chosen = Q()
    else:
        chosen = Q(pk__in=[])
        for _reviewers, source_q in _reviewer_sources:
            chosen |= source_q(user)
    return chosen & ~Q(requested_by=user)


def declassification_reviewers(declassification: Declassification):
    """Everyone who may review ``declassification``: admins, data-protection officers and registered reviewers,
    less the person who asked."""
    users = get_user_model().objects.filter(is_active=True)
    chosen = Q(is_superuser=True) | Q(groups__name=settings.MESH_DATA_PROTECTION_GROUP)
    for reviewers, _source_q in _reviewer_sources:
        chosen |= Q(pk__in=reviewers(declassification).values("pk"))
    return users.filter(chosen).exclude(pk=declassification.requested_by_id).distinct()


def can_view_schema_versions(user, product) -> bool:
    return can_view_product(user, product)


def can_schedule_schema_change(user, product) -> bool:
    return can_edit_product(user, product)


def can_cancel_schema_change(user, version: SchemaVersion) -> bool:
    return can_edit_product(user, version.port.product)


def can_review_declassification(user, declassification: Declassification) -> bool:
    """A steward or data-protection officer (or an admin), never the person who asked: four eyes."""
    if not is_signed_in(user) or declassification.requested_by_id == user.pk:
        return False
    if is_portal_admin(user) or is_data_protection_officer(user):
        return True
    return Declassification.objects.filter(reviewable_q(user), pk=declassification.pk).exists()


def can_withdraw_declassification(user, declassification: Declassification) -> bool:
    return is_signed_in(user) and (
        declassification.requested_by_id == user.pk or can_edit_product(user, declassification.field.port.product)
    )


def can_view_contract(user, product) -> bool:
    """Whoever sees the product reads its contracts; a draft's stay with its team (an outsider gets 404)."""
    return can_view_product(user, product)


def can_apply_contract(user, product) -> bool:
    """Applying a contract changes the product's ports and SLAs: its team's decision."""
    return can_edit_product(user, product)


def can_check_drift(user, product) -> bool:
    return product is not None and can_edit_product(user, product)


def can_view_drift(user, product) -> bool:
    """Drift findings name columns of the real table, declared or not: the owning team sees them, consumers see
    how many are open."""
    return can_edit_product(user, product)


def can_publish_successor(user, product) -> bool:
    """Publishing a breaking schema as a new port, and deprecating the old one, is the owning team's."""
    return can_edit_product(user, product)
