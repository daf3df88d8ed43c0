"""Seat services: the chair (or an admin) assigns a domain seat, vacates it, and delegates a substitute who votes
for it during the holder's absence. Each runs in one transaction on the locked seat and writes an audit row
carrying the council id, so the decision log shows it."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from governance import permissions
from governance.models import Seat
from portal.errors import DomainError, require
from portal.services import audit_record, notify

NOT_CHAIR = "Only the council's chair manages seats."


def _locked(seat: Seat) -> Seat:
    seat = (
        Seat.objects.select_for_update(of=("self",))
        .select_related("council", "domain", "holder", "substitute")
        .get(pk=seat.pk)
    )
    return seat


def _domain_seat(seat: Seat) -> None:
    if seat.is_chair:
        raise DomainError("The chair's seat is assigned by administrators.", field="seat")


def _audit(actor, seat: Seat, action: str, *, from_state: str = "", to_state: str = "", data: dict | None = None):
    audit_record(
        actor=actor,
        action=f"seat.{action}",
        target=seat,
        from_state=from_state,
        to_state=to_state,
        data={"council": seat.council_id, "seat": seat.label, **(data or {})},
    )


def _tell(user, seat: Seat, title: str) -> None:
    if user is not None:
        transaction.on_commit(
            lambda: notify([user.pk], kind="governance.seat", title=title, url=seat.council.get_absolute_url())
        )


@transaction.atomic
def seat_assign(*, actor, seat: Seat, user) -> Seat:
    """Give the seat to ``user`` (an active person); any substitute's delegation ends with the old holder."""
    seat = _locked(seat)
    require(permissions.can_manage_seats(actor, seat.council), NOT_CHAIR)
    _domain_seat(seat)
    if not user.is_active:
        raise DomainError(f"{user.username} is deactivated.", field="username")
    if seat.holder_id == user.pk:
        raise DomainError(f"{user.username} already holds the {seat.label} seat.", field="username")
    previous = seat.holder
    seat.holder, seat.since = user, timezone.localdate()
    seat.substitute, seat.substitute_until = None, None
    seat.save(update_fields=["holder", "since", "substitute", "substitute_until"])
    _audit(actor, seat, "assign", from_state=previous.username if previous else "", to_state=user.username)
    _tell(user, seat, f"You hold the {seat.label} seat on {seat.council}")
    return seat


@transaction.atomic
def seat_vacate(*, actor, seat: Seat) -> Seat:
    """Leave the seat empty: nobody votes for it, and it does not count towards quorum until it is assigned."""
    seat = _locked(seat)
    require(permissions.can_manage_seats(actor, seat.council), NOT_CHAIR)
    _domain_seat(seat)
    if seat.holder_id is None:
        raise DomainError(f"The {seat.label} seat is already vacant.", field="seat")
    previous = seat.holder
    seat.holder, seat.substitute, seat.substitute_until = None, None, None
    seat.save(update_fields=["holder", "substitute", "substitute_until"])
    _audit(actor, seat, "vacate", from_state=previous.username)
    _tell(previous, seat, f"You no longer hold the {seat.label} seat on {seat.council}")
    return seat


@transaction.atomic
def seat_delegate(*, actor, seat: Seat, substitute, until: date) -> Seat:
    """``substitute`` votes for the seat instead of its holder until ``until`` (inclusive)."""
    seat = _locked(seat)
    require(permissions.can_manage_seats(actor, seat.council), NOT_CHAIR)
    if seat.holder_id is None:
        raise DomainError("A vacant seat has nobody to stand in for: assign it.", field="seat")
    if substitute.pk == seat.holder_id:
        raise DomainError("The holder cannot stand in for themselves.", field="username")
    if not substitute.is_active:
        raise DomainError(f"{substitute.username} is deactivated.", field="username")
    if until < timezone.localdate():
        raise DomainError("The absence must end today or later.", field="until")
    seat.substitute, seat.substitute_until = substitute, until
    seat.save(update_fields=["substitute", "substitute_until"])
    _audit(actor, seat, "delegate", to_state=substitute.username, data={"until": until.isoformat()})
    _tell(substitute, seat, f"You vote for the {seat.label} seat until {until:%Y-%m-%d}")
    return seat


@transaction.atomic
def seat_delegation_end(*, actor, seat: Seat) -> Seat:
    seat = _locked(seat)
    require(permissions.can_manage_seats(actor, seat.council), NOT_CHAIR)
    if seat.substitute_id is None:
        raise DomainError("Nobody stands in for this seat.", field="seat")
    previous = seat.substitute
    seat.substitute, seat.substitute_until = None, None
    seat.save(update_fields=["substitute", "substitute_until"])
    _audit(actor, seat, "delegation_end", from_state=previous.username)
    return seat
