"""The one place that answers "may this user do X to this term, relation or link".

Pages, API views, admin actions and tasks call these functions. Stewardship is a plain row (``Steward``): a
steward of a domain reviews that domain's terms; an enterprise-wide steward reviews every term. Nobody reviews
their own term or revision.
"""

from django.db.models import Q

from glossary.models import Steward, Term, TermRevision
from portal.permissions import is_signed_in
from products.models import Domain, Membership
from products.permissions import can_edit_product

VISIBLE_TO_ALL = (Term.Status.APPROVED, Term.Status.DEPRECATED)


def _stewardships(user):
    return Steward.objects.filter(user=user)


def is_steward(user) -> bool:
    """A steward of any domain, or enterprise-wide (governance lets them draft adopt-term proposals: see apps.py)."""
    return is_signed_in(user) and _stewardships(user).exists()


def steward_domain_ids(user) -> set:
    """The domains ``user`` stewards; ``None`` in the set stands for enterprise-wide stewardship."""
    if not is_signed_in(user):
        return set()
    return set(_stewardships(user).values_list("domain_id", flat=True))


def _stewards_term(user, term: Term) -> bool:
    """Steward of the term's domain, or enterprise-wide; for an enterprise-wide term any steward qualifies."""
    if not is_signed_in(user):
        return False
    rows = _stewardships(user)
    if term.domain_id is None:
        return rows.exists()
    return rows.filter(Q(domain__isnull=True) | Q(domain_id=term.domain_id)).exists()


def term_visibility_q(user) -> Q:
    """Approved and deprecated terms for every signed-in user; drafts and terms in review for their author,
    the stewards who may review them, and admins."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    domains = steward_domain_ids(user)
    q = Q(status__in=VISIBLE_TO_ALL) | Q(author=user)
    if None in domains:
        return Q()
    if domains:
        q |= Q(domain_id__in=domains) | Q(domain__isnull=True)
    return q


def can_view_term(user, term: Term) -> bool:
    if not is_signed_in(user):
        return False
    if term.status in VISIBLE_TO_ALL or user.is_superuser or term.author_id == user.pk:
        return True
    return _stewards_term(user, term)


def can_create_term(user) -> bool:
    """Anyone signed in may draft a term; a steward reviews it before it counts."""
    return is_signed_in(user)


def can_edit_term(user, term: Term) -> bool:
    """Edit a draft, or propose a revision of an approved term: the author, the term's stewards, admins."""
    if not is_signed_in(user):
        return False
    if term.status not in (Term.Status.DRAFT, Term.Status.APPROVED):
        return False
    return user.is_superuser or term.author_id == user.pk or _stewards_term(user, term)


def can_submit_term(user, term: Term) -> bool:
    if not is_signed_in(user):
        return False
    return user.is_superuser or term.author_id == user.pk or _stewards_term(user, term)


def can_review_term(user, term: Term) -> bool:
    """Approve or return a term in review: a steward of its domain (any steward for enterprise-wide terms) or an
    admin, and never its author."""
    if not is_signed_in(user) or term.author_id == user.pk:
        return False
    return user.is_superuser or _stewards_term(user, term)


def can_review_revision(user, revision: TermRevision) -> bool:
    if not is_signed_in(user) or revision.author_id == user.pk:
        return False
    return user.is_superuser or _stewards_term(user, revision.term)


def can_deprecate_term(user, term: Term) -> bool:
    if not is_signed_in(user):
        return False
    return user.is_superuser or _stewards_term(user, term)


def can_escalate_term(user, term: Term) -> bool:
    """Hand a draft or in-review term to the council: its author or its stewards."""
    if not is_signed_in(user) or term.status not in (Term.Status.DRAFT, Term.Status.IN_REVIEW):
        return False
    return user.is_superuser or term.author_id == user.pk or _stewards_term(user, term)


def can_relate_terms(user, source: Term) -> bool:
    """Add or remove relations starting at ``source``: its stewards, its author while it is a draft, admins."""
    if not is_signed_in(user):
        return False
    if user.is_superuser or _stewards_term(user, source):
        return True
    return source.author_id == user.pk and source.status == Term.Status.DRAFT


def can_link_term(user, term: Term, product) -> bool:
    """Attach an approved term to a product or one of its fields: the product's owning team (and admins)."""
    return term.status == Term.Status.APPROVED and can_edit_product(user, product)


def can_unlink(user, product) -> bool:
    return can_edit_product(user, product)


def can_import_terms(user) -> bool:
    """Bulk import is a steward's tool (and an admin's); imported terms still go through review."""
    return is_signed_in(user) and (user.is_superuser or is_steward(user))


def can_view_conflicts(user) -> bool:
    return is_signed_in(user) and (user.is_superuser or is_steward(user))


def declassification_stewards(declassification):
    """Stewards who review lowering a column's classification: those of the product's domain and enterprise-wide
    ones (registered with the contracts package in apps.py)."""
    from django.contrib.auth import get_user_model

    domain_id = declassification.field.port.product.domain_id
    stewards = Steward.objects.filter(Q(domain__isnull=True) | Q(domain_id=domain_id)).values("user_id")
    return get_user_model().objects.filter(pk__in=stewards)


def declassifications_stewarded_q(user) -> Q:
    """The declassification requests ``user`` reviews as a steward, as a filter over requests."""
    domains = steward_domain_ids(user)
    if None in domains:
        return Q()
    return Q(field__port__product__domain_id__in=domains) if domains else Q(pk__in=[])


def can_appoint_stewards(user, domain) -> bool:
    """Owners of a team in ``domain`` (and admins) appoint and remove its stewards; enterprise-wide stewards
    (``domain`` None) are an admin's call."""
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    if domain is None:
        return False
    return Membership.objects.filter(user=user, role=Membership.Role.OWNER, team__domain=domain).exists()


def domains_user_appoints_for(user):
    """The domains whose stewards ``user`` appoints (all of them for admins)."""
    if not is_signed_in(user):
        return Domain.objects.none()
    if user.is_superuser:
        return Domain.objects.all()
    owned = Membership.objects.filter(user=user, role=Membership.Role.OWNER).values("team__domain_id")
    return Domain.objects.filter(pk__in=owned)
