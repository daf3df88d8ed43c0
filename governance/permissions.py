"""The one place that answers "may this user do X in the council".

Everyone signed in reads the council, open and closed proposals, votes and standards. Drafts are seen by council
members, their author and admins. Seat holders draft, comment and vote (each for the seat they hold); the chair
opens voting and closes early; the author edits a draft and withdraws it; admins manage seats in Django admin.

Other apps may let people without a seat draft one kind of proposal (the glossary lets its stewards put a term
before the council): they register a predicate with ``proposal_drafters_register`` from their ``ready()``, so
governance never imports them.
"""

from collections.abc import Callable

from django.db.models import Q

from governance.models import Council, Proposal, Seat
from portal.permissions import is_portal_admin, is_signed_in

# Proposal kind → predicates (user → bool) of people who may draft that kind without holding a seat.
_proposal_drafters: dict[str, list[Callable]] = {}


def proposal_drafters_register(kind: str, predicate: Callable) -> None:
    """Let users for whom ``predicate(user)`` is true draft proposals of ``kind`` in any council (idempotent)."""
    predicates = _proposal_drafters.setdefault(kind, [])
    if predicate not in predicates:
        predicates.append(predicate)


def _may_draft_without_seat(user, kind: str | None) -> bool:
    if kind is None or not is_signed_in(user):
        return False
    return any(predicate(user) for predicate in _proposal_drafters.get(kind, ()))


def is_council_member(user, council: Council) -> bool:
    if not is_signed_in(user):
        return False
    return Seat.objects.filter(council=council).voted_by(user).exists()


def is_chair(user, council: Council) -> bool:
    if not is_signed_in(user):
        return False
    return Seat.objects.filter(council=council, holder=user, is_chair=True).exists()


def seats_user_holds(user, council: Council):
    """The seats ``user`` may vote for in ``council``: the holder votes, or their substitute during an absence
    (the chair votes for the chair seat)."""
    if not is_signed_in(user):
        return Seat.objects.none()
    return Seat.objects.filter(council=council).voted_by(user).select_related("domain")


def proposal_visibility_q(user) -> Q:
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    member_of = Seat.objects.voted_by(user).values("council_id")
    return ~Q(status=Proposal.Status.DRAFT) | Q(author=user) | Q(council_id__in=member_of)


def can_view_proposal(user, proposal: Proposal) -> bool:
    if not is_signed_in(user):
        return False
    if proposal.status != Proposal.Status.DRAFT or user.is_superuser or proposal.author_id == user.pk:
        return True
    return is_council_member(user, proposal.council)


def can_create_proposal(user, council: Council, kind: str | None = None) -> bool:
    """Council members draft any proposal; others only the kinds another app registered them for (glossary
    stewards put a term before the council)."""
    if is_portal_admin(user) or is_council_member(user, council):
        return True
    return _may_draft_without_seat(user, kind)


def councils_user_may_propose_in(user, kind: str | None = None):
    if is_portal_admin(user):
        return Council.objects.all()
    if not is_signed_in(user):
        return Council.objects.none()
    if _may_draft_without_seat(user, kind):
        return Council.objects.all()
    return Council.objects.filter(pk__in=Seat.objects.voted_by(user).values("council_id"))


def can_edit_proposal(user, proposal: Proposal) -> bool:
    """The author edits their draft (admins may fix any draft). Once open, the text is what is voted on."""
    if not is_signed_in(user) or proposal.status != Proposal.Status.DRAFT:
        return False
    return proposal.author_id == user.pk or user.is_superuser


def can_open_proposal(user, proposal: Proposal) -> bool:
    return is_portal_admin(user) or is_chair(user, proposal.council)


def can_close_proposal(user, proposal: Proposal) -> bool:
    """Who may close early (the chair, or an admin); the service checks that every seat has voted."""
    return is_portal_admin(user) or is_chair(user, proposal.council)


def can_withdraw_proposal(user, proposal: Proposal) -> bool:
    if not is_signed_in(user):
        return False
    return proposal.author_id == user.pk or user.is_superuser


def can_vote(user, proposal: Proposal) -> bool:
    return seats_user_holds(user, proposal.council).exists()


def can_comment(user, proposal: Proposal) -> bool:
    return can_view_proposal(user, proposal) and (is_portal_admin(user) or is_council_member(user, proposal.council))


def can_export_decision_log(user, council: Council) -> bool:
    return is_signed_in(user)


def can_manage_seats(user, council: Council) -> bool:
    """The chair (and admins) assign and vacate the domain seats and delegate substitutes for absences."""
    return is_portal_admin(user) or is_chair(user, council)
