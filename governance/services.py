"""Every write in the council: drafting, opening, voting, commenting, closing, and the standards a decision adopts.

Each transition runs in one transaction, locks the proposal row, refuses a move the table below does not allow,
writes an audit row carrying the council id (the decision log reads those rows) and notifies after commit.
"""

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from governance import permissions, signals
from governance.models import Comment, Council, Proposal, Seat, Standard, Vote
from governance.rules import rule_validate
from governance.tally import Tally, tally_compute
from portal.audit_diff import audit_changes, audit_snapshot
from portal.errors import DomainError, TransitionNotAllowed, require
from portal.services import audit_record, notify

Status = Proposal.Status
Kind = Proposal.Kind

# Which lifecycle moves are legal. Closed states are final: an accepted proposal is never reopened.
PROPOSAL_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.OPEN, Status.WITHDRAWN},
    Status.OPEN: {Status.ACCEPTED, Status.REJECTED, Status.EXPIRED, Status.WITHDRAWN},
    Status.ACCEPTED: set(),
    Status.REJECTED: set(),
    Status.WITHDRAWN: set(),
    Status.EXPIRED: set(),
}

STANDARD_FIELDS = (
    "target_standard",
    "standard_kind",
    "standard_title",
    "standard_text",
    "rule",
    "severity",
    "grace_days",
    "effective_from",
)
MAX_VOTE_DAYS = 90
CODE_RE = re.compile(r"^STD-(\d+)$")


def _transition_check(proposal: Proposal, to_status: str) -> None:
    if to_status not in PROPOSAL_TRANSITIONS[proposal.status]:
        raise TransitionNotAllowed(
            f"A proposal that is {proposal.get_status_display().lower()} cannot become {Status(to_status).label.lower()}."
        )


def _audit(*, actor, action: str, proposal: Proposal, from_state="", to_state="", comment="", **data):
    return audit_record(
        actor=actor,
        action=action,
        target=proposal,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data={"council": proposal.council_id, "proposal": proposal.pk, **data},
    )


def _seat_holder_ids(council_id: int) -> list[int]:
    """Who votes for each seat today (the holder, or their substitute during an absence), active users only."""
    voters = {seat.voter_id for seat in Seat.objects.filter(council_id=council_id).filled()} - {None}
    return list(get_user_model().objects.filter(pk__in=voters, is_active=True).values_list("pk", flat=True))


# --- drafting ---------------------------------------------------------------------------------------------------


def proposal_validate(proposal: Proposal) -> None:
    """Check a proposal's content (not its state): the standard it carries and its rule, the target, the payload.

    Called on every save from every front door (page, API, admin), and again when voting opens.
    """
    if not (proposal.title or "").strip():
        raise DomainError("Give the proposal a title.", field="title")
    if not (proposal.motivation or "").strip():
        raise DomainError("Say why the council should decide this.", field="motivation")
    if proposal.kind not in Kind.values:
        raise DomainError(f"Unknown proposal kind {proposal.kind!r}.", field="kind")
    target = proposal.target_standard
    if proposal.kind in Proposal.TARGETED_KINDS:
        if target is None:
            raise DomainError("Choose the standard this proposal amends or retires.", field="target_standard")
        if target.council_id != proposal.council_id:
            raise DomainError("That standard belongs to another council.", field="target_standard")
        if target.status == Standard.Status.RETIRED:
            raise DomainError(f"{target.code} v{target.version} is retired.", field="target_standard")
    elif target is not None:
        raise DomainError("Only amend and retire proposals name a target standard.", field="target_standard")
    if proposal.carries_standard:
        if proposal.kind == Kind.AMEND_STANDARD:
            proposal.standard_kind = proposal.standard_kind or target.kind
            proposal.standard_title = proposal.standard_title or target.title
            if proposal.standard_kind != target.kind:
                raise DomainError(
                    f"An amendment keeps the kind of {target.code} ({target.get_kind_display().lower()}).",
                    field="standard_kind",
                )
        if not proposal.standard_kind:
            raise DomainError("Choose the kind of standard.", field="standard_kind")
        if not (proposal.standard_title or "").strip():
            raise DomainError("Give the standard a title.", field="standard_title")
        if not (proposal.standard_text or "").strip():
            raise DomainError("Write the standard's text.", field="standard_text")
        rule_validate(proposal.standard_kind, proposal.rule)
        if proposal.grace_days is None or proposal.grace_days < 0:
            raise DomainError("The grace period cannot be negative.", field="grace_days")
        if proposal.effective_from and proposal.effective_from < timezone.localdate():
            raise DomainError("The effective date cannot be in the past.", field="effective_from")
    else:
        proposal.standard_kind = ""
        proposal.standard_title = ""
        proposal.standard_text = ""
        proposal.rule = {}
        proposal.effective_from = None
    if proposal.kind == Kind.ADOPT_TERM:
        term_id = (proposal.payload or {}).get("term_id") if isinstance(proposal.payload, dict) else None
        if not isinstance(term_id, int) or isinstance(term_id, bool) or term_id < 1:
            raise DomainError("payload.term_id: an adopt_term proposal names the glossary term's id.", field="payload")
    if not isinstance(proposal.payload, dict):
        raise DomainError("payload: must be a JSON object.", field="payload")
    proposal.full_clean(exclude=["council", "author", "target_standard"])


@transaction.atomic
def proposal_create(
    *, actor, council: Council, kind: str, title: str, motivation: str, payload: dict | None = None, **standard_fields
) -> Proposal:
    """Draft a proposal in ``council`` as ``actor`` (a seat holder, or an admin). Returns the draft.

    ``standard_fields`` are the standard an adopt/amend proposal carries, by name: ``standard_kind``,
    ``standard_title``, ``standard_text``, ``rule`` (validated against ``governance.rules``), ``severity``,
    ``grace_days``, ``effective_from``; amend and retire proposals give ``target_standard`` (a ``Standard``).

    Other apps draft through this function too. The glossary escalates a term with::

        proposal_create(actor=steward, council=council, kind="adopt_term", title="Adopt the term “Churn”",
                        motivation="…", payload={"term_id": term.pk})

    and hears the decision through ``governance.signals.proposal_accepted`` / ``proposal_rejected``.
    Raises ``PermissionDenied`` for a non-member and ``DomainError`` (naming the field) for bad content.
    """
    require(permissions.can_create_proposal(actor, council, kind), "Only council members draft proposals.")
    unknown = set(standard_fields) - set(STANDARD_FIELDS)
    if unknown:
        raise DomainError(f"Unknown proposal fields: {', '.join(sorted(unknown))}.")
    proposal = Proposal(
        council=council,
        author=actor,
        kind=kind,
        title=(title or "").strip(),
        motivation=motivation or "",
        payload=payload if payload is not None else {},
        **standard_fields,
    )
    proposal_validate(proposal)
    proposal.save()
    _audit(actor=actor, action="proposal.create", proposal=proposal, to_state=proposal.status, kind=kind)
    return proposal


@transaction.atomic
def proposal_update(*, actor, proposal: Proposal, **changes) -> Proposal:
    """Edit a draft (its author, or an admin). The text of an open proposal is what is being voted on: frozen."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Status.DRAFT:
        raise TransitionNotAllowed("Only a draft can be edited; this proposal is no longer a draft.")
    require(permissions.can_edit_proposal(actor, proposal), "Only the author edits a draft.")
    editable = {"kind", "title", "motivation", "payload", *STANDARD_FIELDS}
    unknown = set(changes) - editable
    if unknown:
        raise DomainError(f"Unknown proposal fields: {', '.join(sorted(unknown))}.")
    before = audit_snapshot(proposal, changes)
    for name, value in changes.items():
        setattr(proposal, name, value)
    proposal_validate(proposal)
    proposal.save()
    diff = audit_changes(before, audit_snapshot(proposal, changes))
    _audit(actor=actor, action="proposal.update", proposal=proposal, changed=sorted(changes), changes=diff)
    return proposal


# --- voting -----------------------------------------------------------------------------------------------------


@transaction.atomic
def proposal_open(*, actor, proposal: Proposal, deadline=None) -> Proposal:
    """The chair opens voting until ``deadline`` (default: the council's vote days from now)."""
    proposal = Proposal.objects.select_for_update().select_related("council").get(pk=proposal.pk)
    require(permissions.can_open_proposal(actor, proposal), "Only the council chair opens voting.")
    _transition_check(proposal, Status.OPEN)
    now = timezone.now()
    deadline = deadline or now + timedelta(days=proposal.council.default_vote_days)
    if deadline <= now:
        raise DomainError("The deadline must be in the future.", field="deadline")
    if deadline > now + timedelta(days=MAX_VOTE_DAYS):
        raise DomainError(f"Voting may stay open at most {MAX_VOTE_DAYS} days.", field="deadline")
    proposal_validate(proposal)
    proposal.status = Status.OPEN
    proposal.opened_at = now
    proposal.deadline = deadline
    proposal.save(update_fields=["status", "opened_at", "deadline", "updated_at"])
    _audit(
        actor=actor,
        action="proposal.open",
        proposal=proposal,
        from_state=Status.DRAFT,
        to_state=Status.OPEN,
        deadline=deadline.isoformat(),
    )
    notify(
        _seat_holder_ids(proposal.council_id),
        kind="governance.vote_open",
        title=f"Vote open: {proposal.title}",
        body=f"Voting on “{proposal.title}” is open until {deadline:%Y-%m-%d %H:%M} UTC.",
        url=proposal.get_absolute_url(),
        dedupe_key=f"proposal-{proposal.pk}-open",
    )
    return proposal


@transaction.atomic
def vote_cast(*, actor, proposal: Proposal, choice: str, rationale: str = "", seat: Seat | None = None) -> Vote:
    """Cast or change the vote of a seat ``actor`` holds. One vote per seat per proposal, changeable until close.

    The proposal row is locked first, so a vote and a close never interleave, and ``update_or_create`` on
    (proposal, seat) under that lock (plus the unique constraint) keeps one vote per seat however many arrive.
    """
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status == Status.DRAFT:
        raise TransitionNotAllowed("Voting has not opened on this draft yet.")
    if proposal.status != Status.OPEN:
        raise TransitionNotAllowed(
            f"Voting is closed: this proposal was {proposal.get_status_display().lower()}"
            f"{' on ' + format(proposal.closed_at, '%Y-%m-%d %H:%M') + ' UTC' if proposal.closed_at else ''}."
        )
    now = timezone.now()
    if now >= proposal.deadline:
        raise DomainError(
            f"Voting closed at the deadline, {proposal.deadline:%Y-%m-%d %H:%M} UTC; votes are no longer accepted.",
            field="choice",
        )
    held = list(permissions.seats_user_holds(actor, proposal.council))
    if seat is None:
        if not held:
            raise PermissionDenied("Only seat holders vote.")
        if len(held) > 1:
            raise DomainError("You hold several seats: say which one you vote for.", field="seat")
        seat = held[0]
    elif seat.pk not in {mine.pk for mine in held}:
        raise PermissionDenied("You may only vote for a seat you hold.")
    if choice not in Vote.Choice.values:
        raise DomainError(f"Choose one of {', '.join(Vote.Choice.values)}.", field="choice")
    previous = Vote.objects.filter(proposal=proposal, seat=seat).values_list("choice", flat=True).first()
    vote, created = Vote.objects.update_or_create(
        proposal=proposal,
        seat=seat,
        defaults={"choice": choice, "rationale": rationale or "", "cast_by": actor},
    )
    _audit(
        actor=actor,
        action="vote.cast" if created else "vote.change",
        proposal=proposal,
        from_state=previous or "",
        to_state=choice,
        seat=seat.pk,
        seat_label=seat.label,
    )
    return vote


@transaction.atomic
def comment_add(*, actor, proposal: Proposal, body: str) -> Comment:
    require(permissions.can_comment(actor, proposal), "Only council members comment on proposals.")
    body = (body or "").strip()
    if not body:
        raise DomainError("Write something first.", field="body")
    if proposal.is_closed:
        raise TransitionNotAllowed("The discussion is closed with the proposal.")
    comment = Comment.objects.create(proposal=proposal, author=actor, body=body)
    _audit(actor=actor, action="proposal.comment", proposal=proposal, comment_id=comment.pk)
    return comment


def proposal_tally(proposal: Proposal) -> Tally:
    """The live tally of one proposal (two queries). Lists use ``selectors.proposal_list``'s annotations instead."""
    counts = proposal.votes.aggregate(
        votes_for=Count("pk", filter=Q(choice=Vote.Choice.FOR)),
        votes_against=Count("pk", filter=Q(choice=Vote.Choice.AGAINST)),
        abstain=Count("pk", filter=Q(choice=Vote.Choice.ABSTAIN)),
    )
    council = proposal.council
    return tally_compute(
        seats=Seat.objects.filter(council_id=proposal.council_id).filled().count(),
        quorum_percent=council.quorum_percent,
        majority=council.majority,
        **counts,
    )


# --- closing ----------------------------------------------------------------------------------------------------


@transaction.atomic
def proposal_withdraw(*, actor, proposal: Proposal, comment: str = "") -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    require(permissions.can_withdraw_proposal(actor, proposal), "Only the author withdraws a proposal.")
    _transition_check(proposal, Status.WITHDRAWN)
    previous = proposal.status
    proposal.status = Status.WITHDRAWN
    proposal.closed_at = timezone.now()
    proposal.save(update_fields=["status", "closed_at", "updated_at"])
    _audit(
        actor=actor,
        action="proposal.withdraw",
        proposal=proposal,
        from_state=previous,
        to_state=Status.WITHDRAWN,
        comment=comment,
    )
    signals.proposal_rejected.send(sender=Proposal, proposal=proposal, outcome=Status.WITHDRAWN)
    if previous == Status.OPEN:
        notify(
            _seat_holder_ids(proposal.council_id),
            kind="governance.outcome",
            title=f"Withdrawn: {proposal.title}",
            body=f"The author withdrew “{proposal.title}”; the vote is cancelled.",
            url=proposal.get_absolute_url(),
            dedupe_key=f"proposal-{proposal.pk}-outcome",
        )
    return proposal


def proposal_close(proposal_id: int, actor=None) -> Proposal:
    """Close an open proposal and apply its outcome. Safe to run any number of times, concurrently too.

    - ``actor=None`` (the beat job): closes only once the deadline has passed; before that it changes nothing.
    - ``actor`` given (the chair, or an admin): closes early, but only once every seat has voted.
    - A proposal already closed is left as it is and returned; closing a draft is refused.

    Steps, in one transaction holding the proposal's row lock: tally; set the outcome and freeze the tally in
    ``result``; on acceptance adopt, amend or retire the standard; send ``proposal_accepted`` or
    ``proposal_rejected``; notify the seat holders once (after commit).
    """
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.is_closed:
            return proposal
        if proposal.status == Status.DRAFT:
            raise TransitionNotAllowed("A draft cannot be closed: the chair opens voting first.")
        proposal.council = Council.objects.get(pk=proposal.council_id)
        tally = proposal_tally(proposal)
        now = timezone.now()
        if actor is not None:
            require(permissions.can_close_proposal(actor, proposal), "Only the council chair closes voting.")
            if now < proposal.deadline and not tally.all_voted:
                raise DomainError(
                    f"Voting can close early only once every seat has voted ({tally.cast} of {tally.seats} so far)."
                )
        elif now < proposal.deadline:
            return proposal
        outcome = tally.outcome
        _transition_check(proposal, outcome)
        proposal.status = outcome
        proposal.closed_at = now
        proposal.result = tally.as_dict()
        proposal.save(update_fields=["status", "closed_at", "result", "updated_at"])
        _audit(
            actor=actor,
            action="proposal.close",
            proposal=proposal,
            from_state=Status.OPEN,
            to_state=outcome,
            comment="closed early by the chair" if actor is not None else "closed at the deadline",
            tally=proposal.result,
        )
        standard = None
        if outcome == Status.ACCEPTED:
            standard = _apply_acceptance(proposal, now=now)
            signals.proposal_accepted.send(sender=Proposal, proposal=proposal)
        else:
            signals.proposal_rejected.send(sender=Proposal, proposal=proposal, outcome=outcome)
        verdict = {Status.ACCEPTED: "accepted", Status.REJECTED: "rejected", Status.EXPIRED: "expired without quorum"}
        body = (
            f"“{proposal.title}” was {verdict[outcome]}: {tally.votes_for} for, {tally.votes_against} against, "
            f"{tally.abstain} abstaining, of {tally.seats} seats."
        )
        if standard is not None:
            body += f" It adopts {standard.code} version {standard.version}, effective {standard.effective_from}."
        notify(
            _seat_holder_ids(proposal.council_id),
            kind="governance.outcome",
            title=f"{outcome.capitalize()}: {proposal.title}",
            body=body,
            url=proposal.get_absolute_url(),
            dedupe_key=f"proposal-{proposal.pk}-outcome",
        )
        if standard is not None and standard.status == Standard.Status.IN_FORCE:
            _announce_in_force(standard)
    return proposal


def _next_code() -> str:
    numbers = [
        int(match.group(1))
        for code in Standard.objects.values_list("code", flat=True).distinct()
        if (match := CODE_RE.match(code))
    ]
    return f"STD-{max(numbers, default=0) + 1:03d}"


def _apply_acceptance(proposal: Proposal, *, now) -> Standard | None:
    """Adopt, amend or retire the standard an accepted proposal is about. Runs under the council's row lock, so
    two acceptances never pick the same code or version."""
    if proposal.kind not in (Kind.ADOPT_STANDARD, Kind.AMEND_STANDARD, Kind.RETIRE_STANDARD):
        return None
    Council.objects.select_for_update().get(pk=proposal.council_id)
    if proposal.kind == Kind.RETIRE_STANDARD:
        code = proposal.target_standard.code
        retired = list(
            Standard.objects.select_for_update().filter(
                code=code, status__in=[Standard.Status.IN_FORCE, Standard.Status.SCHEDULED]
            )
        )
        for version in retired:
            _standard_retire(version, proposal=proposal, now=now)
        return None
    if proposal.kind == Kind.AMEND_STANDARD:
        code = proposal.target_standard.code
        version = (Standard.objects.filter(code=code).aggregate(top=Max("version"))["top"] or 0) + 1
    else:
        code, version = _next_code(), 1
    today = timezone.localdate()
    effective = max(proposal.effective_from or today, today)
    standard = Standard(
        council_id=proposal.council_id,
        code=code,
        version=version,
        kind=proposal.standard_kind,
        title=proposal.standard_title,
        text=proposal.standard_text,
        rule=proposal.rule,
        severity=proposal.severity,
        grace_days=proposal.grace_days,
        effective_from=effective,
        status=Standard.Status.SCHEDULED,
        adopted_by=proposal,
    )
    if effective <= today:
        for previous in Standard.objects.select_for_update().filter(code=code, status=Standard.Status.IN_FORCE):
            _standard_retire(previous, proposal=proposal, now=now)
        standard.status = Standard.Status.IN_FORCE
    standard.save()
    audit_record(
        actor=None,
        action="standard.adopt",
        target=standard,
        to_state=standard.status,
        data={"council": proposal.council_id, "proposal": proposal.pk, "code": code, "version": version},
    )
    return standard


def _standard_retire(standard: Standard, *, proposal: Proposal | None, now) -> None:
    previous = standard.status
    standard.status = Standard.Status.RETIRED
    standard.retired_at = now
    standard.save(update_fields=["status", "retired_at"])
    audit_record(
        actor=None,
        action="standard.retire",
        target=standard,
        from_state=previous,
        to_state=Standard.Status.RETIRED,
        data={"council": standard.council_id, "proposal": proposal.pk if proposal else None, "code": standard.code},
    )


def _announce_in_force(standard: Standard) -> None:
    everyone = get_user_model().objects.filter(is_active=True).values_list("pk", flat=True)
    notify(
        everyone,
        kind="governance.standard_in_force",
        title=f"{standard.code} v{standard.version} is in force: {standard.title}",
        body=(
            f"{standard.get_severity_display()} standard, effective {standard.effective_from}; products already "
            f"published have {standard.grace_days} days' grace."
        ),
        url=standard.get_absolute_url(),
        dedupe_key=f"standard-{standard.pk}-in-force",
    )


@transaction.atomic
def standard_activate(standard_id: int) -> Standard:
    """Bring a scheduled version into force on its effective date, retiring the version it replaces. Idempotent."""
    standard = Standard.objects.select_for_update().get(pk=standard_id)
    if standard.status != Standard.Status.SCHEDULED or standard.effective_from > timezone.localdate():
        return standard
    Council.objects.select_for_update().get(pk=standard.council_id)
    now = timezone.now()
    for previous in Standard.objects.select_for_update().filter(code=standard.code, status=Standard.Status.IN_FORCE):
        _standard_retire(previous, proposal=standard.adopted_by, now=now)
    standard.status = Standard.Status.IN_FORCE
    standard.save(update_fields=["status"])
    audit_record(
        actor=None,
        action="standard.in_force",
        target=standard,
        from_state=Standard.Status.SCHEDULED,
        to_state=Standard.Status.IN_FORCE,
        data={"council": standard.council_id, "code": standard.code, "version": standard.version},
    )
    _announce_in_force(standard)
    return standard


def vote_reminders_send(*, now=None) -> int:
    """Remind seat holders who have not voted, once, when less than 24 hours remain. Returns reminders created."""
    now = now or timezone.now()
    due = Proposal.objects.filter(status=Status.OPEN, deadline__gt=now, deadline__lte=now + timedelta(hours=24))
    sent = 0
    for proposal in due.only("pk", "title", "council_id", "deadline"):
        silent = Seat.objects.filter(council_id=proposal.council_id).filled().exclude(votes__proposal=proposal)
        voters = {seat.voter_id for seat in silent.only("holder_id", "substitute_id", "substitute_until")}
        sent += notify(
            list(get_user_model().objects.filter(pk__in=voters, is_active=True).values_list("pk", flat=True)),
            kind="governance.vote_reminder",
            title=f"Vote closes within 24 hours: {proposal.title}",
            body=f"Your seat has not voted on “{proposal.title}”; voting closes {proposal.deadline:%Y-%m-%d %H:%M} UTC.",
            url=proposal.get_absolute_url(),
            dedupe_key=f"proposal-{proposal.pk}-reminder",
        )
    return sent
