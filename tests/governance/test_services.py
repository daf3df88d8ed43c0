"""The council's lifecycle, through the services every front door calls."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from governance import services, signals, tasks
from governance.models import Proposal, Standard, Vote
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, Notification
from tests import factories
from tests.governance.conftest import STANDARD, past_deadline


def test_council_member_drafts_a_standard_proposal(draft_proposal, council_member):
    assert draft_proposal.status == Proposal.Status.DRAFT
    assert draft_proposal.author == council_member
    assert AuditEvent.objects.filter(action="proposal.create", target_id=str(draft_proposal.pk)).exists()


def test_non_member_cannot_draft(council, seated, analyst):
    with pytest.raises(PermissionDenied):
        services.proposal_create(actor=analyst, council=council, kind="resolution", title="T", motivation="M")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"rule": {"target": "field_names", "pattern": "([a-z"}},
            "rule",
            "rule.pattern: not a valid regular expression",
        ),
        ({"standard_kind": "min_quality_score", "rule": {"minimum": -1}}, "rule", "rule.minimum: must not be negative"),
        ({"standard_text": ""}, "standard_text", "Write the standard's text."),
        ({"effective_from": timezone.localdate() - timedelta(days=1)}, "effective_from", "cannot be in the past"),
    ],
)
def test_bad_standard_is_refused_when_the_proposal_is_saved(council, seated, council_member, changes, field, message):
    with pytest.raises(DomainError) as caught:
        services.proposal_create(
            actor=council_member,
            council=council,
            kind="adopt_standard",
            title="Bad",
            motivation="Why",
            **{**STANDARD, **changes},
        )
    assert caught.value.field == field
    assert message in caught.value.message
    assert not Proposal.objects.exists()


def test_bad_rule_is_refused_on_edit_too(draft_proposal, council_member):
    with pytest.raises(DomainError, match="rule.pattern"):
        services.proposal_update(actor=council_member, proposal=draft_proposal, rule={"target": "slug", "pattern": "["})


def test_adopt_term_needs_a_term_id(council, seated, council_member):
    with pytest.raises(DomainError, match="payload.term_id"):
        services.proposal_create(
            actor=council_member, council=council, kind="adopt_term", title="Adopt Churn", motivation="M", payload={}
        )
    proposal = services.proposal_create(
        actor=council_member,
        council=council,
        kind="adopt_term",
        title="Adopt Churn",
        motivation="M",
        payload={"term_id": 7},
    )
    assert proposal.payload == {"term_id": 7}


def test_only_the_chair_opens_voting(draft_proposal, council_member):
    with pytest.raises(PermissionDenied):
        services.proposal_open(actor=council_member, proposal=draft_proposal)


def test_opening_sets_the_default_deadline_and_tells_seat_holders(open_proposal, seated):
    assert open_proposal.status == Proposal.Status.OPEN
    assert open_proposal.deadline - open_proposal.opened_at == timedelta(days=7)
    holders = {user.pk for user in seated}
    notified = set(Notification.objects.filter(kind="governance.vote_open").values_list("recipient_id", flat=True))
    assert notified == holders


def test_voting_on_a_draft_is_refused(draft_proposal, council_member):
    with pytest.raises(TransitionNotAllowed, match="has not opened"):
        services.vote_cast(actor=council_member, proposal=draft_proposal, choice="for")


def test_only_seat_holders_vote(open_proposal, analyst, owner, admin_user):
    for outsider in (analyst, owner, admin_user):
        with pytest.raises(PermissionDenied, match="Only seat holders vote"):
            services.vote_cast(actor=outsider, proposal=open_proposal, choice="for")
    assert not Vote.objects.exists()


def test_a_holder_cannot_vote_for_another_seat(open_proposal, council_member, chair):
    chair_seat = chair.council_seats.get()
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=council_member, proposal=open_proposal, choice="for", seat=chair_seat)


def test_second_vote_replaces_first(open_proposal, council_member):
    services.vote_cast(actor=council_member, proposal=open_proposal, choice="for")
    services.vote_cast(actor=council_member, proposal=open_proposal, choice="against", rationale="Too strict")
    vote = Vote.objects.get()
    assert (vote.choice, vote.rationale) == ("against", "Too strict")
    actions = list(
        AuditEvent.objects.filter(action__startswith="vote.").order_by("id").values_list("action", "to_state")
    )
    assert actions == [("vote.cast", "for"), ("vote.change", "against")]


def test_one_vote_per_seat_is_a_database_constraint(open_proposal, council_member):
    from django.db import IntegrityError, transaction

    vote = services.vote_cast(actor=council_member, proposal=open_proposal, choice="for")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(proposal=open_proposal, seat=vote.seat, choice="against", cast_by=council_member)


def test_vote_after_the_deadline_is_refused(open_proposal, council_member):
    past_deadline(open_proposal)
    with pytest.raises(DomainError, match="Voting closed at the deadline"):
        services.vote_cast(actor=council_member, proposal=open_proposal, choice="for")


def test_vote_after_close_is_refused(open_proposal, seated):
    chair, member, rep = seated
    for user in seated:
        services.vote_cast(actor=user, proposal=open_proposal, choice="for")
    services.proposal_close(open_proposal.pk, actor=chair)
    with pytest.raises(TransitionNotAllowed, match="Voting is closed: this proposal was accepted"):
        services.vote_cast(actor=member, proposal=open_proposal, choice="against")
    assert Vote.objects.filter(choice="against").count() == 0


def test_closing_a_draft_is_refused(draft_proposal, chair):
    with pytest.raises(TransitionNotAllowed, match="A draft cannot be closed"):
        services.proposal_close(draft_proposal.pk, actor=chair)


def test_an_accepted_proposal_cannot_be_reopened(open_proposal, seated):
    chair = seated[0]
    for user in seated:
        services.vote_cast(actor=user, proposal=open_proposal, choice="for")
    services.proposal_close(open_proposal.pk, actor=chair)
    with pytest.raises(TransitionNotAllowed, match="accepted cannot become open"):
        services.proposal_open(actor=chair, proposal=open_proposal)


def test_chair_closes_early_only_once_every_seat_voted(open_proposal, seated):
    chair, member, rep = seated
    services.vote_cast(actor=member, proposal=open_proposal, choice="for")
    with pytest.raises(DomainError, match=r"every seat has voted \(1 of 3 so far\)"):
        services.proposal_close(open_proposal.pk, actor=chair)
    with pytest.raises(PermissionDenied):
        services.proposal_close(open_proposal.pk, actor=member)
    services.vote_cast(actor=rep, proposal=open_proposal, choice="against")
    services.vote_cast(actor=chair, proposal=open_proposal, choice="for")
    closed = services.proposal_close(open_proposal.pk, actor=chair)
    assert closed.status == Proposal.Status.ACCEPTED
    assert closed.result["votes_for"] == 2


def test_the_job_leaves_a_proposal_before_its_deadline(open_proposal, council_member):
    services.vote_cast(actor=council_member, proposal=open_proposal, choice="for")
    assert tasks.proposals_close_due.delay().get() == 0
    assert services.proposal_close(open_proposal.pk).status == Proposal.Status.OPEN


def test_closing_job_run_twice_gives_one_outcome_and_one_standard_version(open_proposal, seated):
    chair, member, rep = seated
    services.vote_cast(actor=member, proposal=open_proposal, choice="for")
    services.vote_cast(actor=rep, proposal=open_proposal, choice="for")
    past_deadline(open_proposal)
    assert tasks.proposals_close_due.delay().get() == 1
    assert tasks.proposals_close_due.delay().get() == 0
    services.proposal_close(open_proposal.pk)  # and a direct third close changes nothing either
    open_proposal.refresh_from_db()
    assert open_proposal.status == Proposal.Status.ACCEPTED
    standard = Standard.objects.get()
    assert (standard.code, standard.version, standard.status) == ("STD-001", 1, Standard.Status.IN_FORCE)
    assert standard.adopted_by == open_proposal
    assert standard.rule == STANDARD["rule"]
    assert AuditEvent.objects.filter(action="proposal.close").count() == 1
    assert Notification.objects.filter(kind="governance.outcome").count() == 3


def test_no_quorum_expires(open_proposal, council_member):
    services.vote_cast(actor=council_member, proposal=open_proposal, choice="for")
    past_deadline(open_proposal)
    assert services.proposal_close(open_proposal.pk).status == Proposal.Status.EXPIRED
    assert not Standard.objects.exists()


def test_a_tie_rejects(open_proposal, seated):
    chair, member, rep = seated
    services.vote_cast(actor=member, proposal=open_proposal, choice="for")
    services.vote_cast(actor=rep, proposal=open_proposal, choice="against")
    past_deadline(open_proposal)
    assert services.proposal_close(open_proposal.pk).status == Proposal.Status.REJECTED


def test_all_abstain_with_quorum_rejects(open_proposal, seated):
    for user in seated:
        services.vote_cast(actor=user, proposal=open_proposal, choice="abstain")
    assert services.proposal_close(open_proposal.pk, actor=seated[0]).status == Proposal.Status.REJECTED


def _pass(proposal, seated):
    chair = seated[0]
    services.proposal_open(actor=chair, proposal=proposal)
    for user in seated:
        services.vote_cast(actor=user, proposal=proposal, choice="for")
    return services.proposal_close(proposal.pk, actor=chair)


def test_amendment_creates_version_two_and_retires_version_one(open_proposal, seated, council, council_member):
    for user in seated:
        services.vote_cast(actor=user, proposal=open_proposal, choice="for")
    services.proposal_close(open_proposal.pk, actor=seated[0])
    first = Standard.objects.get()
    amendment = services.proposal_create(
        actor=council_member,
        council=council,
        kind="amend_standard",
        title="Allow digits first",
        motivation="Legacy tables.",
        target_standard=first,
        standard_text="Field names are lower case.",
        rule={"target": "field_names", "pattern": "^[a-z0-9_]+$"},
        severity="warning",
        grace_days=30,
    )
    assert amendment.standard_kind == "naming_convention"
    _pass(amendment, seated)
    versions = list(Standard.objects.filter(code=first.code).order_by("version").values_list("version", "status"))
    assert versions == [(1, "retired"), (2, "in_force")]


def test_retire_proposal_retires_the_standard(seated, council, council_member):
    standard = factories.StandardFactory(council=council, code="STD-009")
    retire = services.proposal_create(
        actor=council_member,
        council=council,
        kind="retire_standard",
        title="Retire STD-009",
        motivation="Superseded.",
        target_standard=standard,
    )
    _pass(retire, seated)
    standard.refresh_from_db()
    assert standard.status == Standard.Status.RETIRED


def test_a_new_adoption_takes_the_next_code(seated, council, council_member):
    factories.StandardFactory(council=council, code="STD-006")
    proposal = services.proposal_create(
        actor=council_member, council=council, kind="adopt_standard", title="T", motivation="M", **STANDARD
    )
    _pass(proposal, seated)
    assert proposal.adopted_standard.code == "STD-007"


def test_a_future_effective_date_schedules_the_standard(seated, council, council_member):
    later = timezone.localdate() + timedelta(days=10)
    proposal = services.proposal_create(
        actor=council_member,
        council=council,
        kind="adopt_standard",
        title="Later",
        motivation="M",
        **{**STANDARD, "effective_from": later},
    )
    _pass(proposal, seated)
    standard = Standard.objects.get()
    assert standard.status == Standard.Status.SCHEDULED
    assert not Notification.objects.filter(kind="governance.standard_in_force").exists()
    Standard.objects.filter(pk=standard.pk).update(effective_from=timezone.localdate())
    assert tasks.standards_activate_due.delay().get() == 1
    assert tasks.standards_activate_due.delay().get() == 0
    standard.refresh_from_db()
    assert standard.status == Standard.Status.IN_FORCE


def test_everyone_hears_of_a_standard_in_force_once(open_proposal, seated, analyst, inactive):
    for user in seated:
        services.vote_cast(actor=user, proposal=open_proposal, choice="for")
    services.proposal_close(open_proposal.pk, actor=seated[0])
    services.proposal_close(open_proposal.pk, actor=seated[0])
    recipients = list(
        Notification.objects.filter(kind="governance.standard_in_force").values_list("recipient__username", flat=True)
    )
    assert "ana" in recipients and "ian" not in recipients  # active users only
    assert len(recipients) == len(set(recipients))


def test_reminder_goes_once_to_holders_who_have_not_voted(open_proposal, seated):
    chair, member, rep = seated
    services.vote_cast(actor=member, proposal=open_proposal, choice="for")
    assert tasks.vote_reminders_send.delay().get() == 0  # a week is left
    Proposal.objects.filter(pk=open_proposal.pk).update(deadline=timezone.now() + timedelta(hours=20))
    assert tasks.vote_reminders_send.delay().get() == 2
    assert tasks.vote_reminders_send.delay().get() == 0
    reminded = set(
        Notification.objects.filter(kind="governance.vote_reminder").values_list("recipient__username", flat=True)
    )
    assert reminded == {chair.username, rep.username}


def test_author_withdraws_a_draft_or_open_proposal(draft_proposal, open_proposal, council_member, chair):
    with pytest.raises(PermissionDenied):
        services.proposal_withdraw(actor=chair, proposal=open_proposal)
    withdrawn = services.proposal_withdraw(actor=council_member, proposal=open_proposal)
    assert withdrawn.status == Proposal.Status.WITHDRAWN
    with pytest.raises(TransitionNotAllowed):
        services.proposal_withdraw(actor=council_member, proposal=open_proposal)


def test_adopt_term_fires_accepted_and_rejected_signals(council, seated, council_member):
    heard = []

    def accepted(sender, proposal, **kwargs):
        heard.append(("accepted", proposal.payload["term_id"]))

    def rejected(sender, proposal, outcome, **kwargs):
        heard.append((outcome, proposal.payload["term_id"]))

    signals.proposal_accepted.connect(accepted)
    signals.proposal_rejected.connect(rejected)
    try:
        yes = services.proposal_create(
            actor=council_member, council=council, kind="adopt_term", title="A", motivation="M", payload={"term_id": 1}
        )
        _pass(yes, seated)
        no = services.proposal_create(
            actor=council_member, council=council, kind="adopt_term", title="B", motivation="M", payload={"term_id": 2}
        )
        services.proposal_open(actor=seated[0], proposal=no)
        past_deadline(no)
        services.proposal_close(no.pk)
    finally:
        signals.proposal_accepted.disconnect(accepted)
        signals.proposal_rejected.disconnect(rejected)
    assert heard == [("accepted", 1), ("expired", 2)]


def test_comments_are_for_council_members(open_proposal, council_member, analyst):
    services.comment_add(actor=council_member, proposal=open_proposal, body="Looks right.")
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=analyst, proposal=open_proposal, body="Me too")


def test_decision_log_records_every_transition_and_vote(open_proposal, seated, council):
    from governance.selectors import decision_log

    for user in seated:
        services.vote_cast(actor=user, proposal=open_proposal, choice="for")
    services.proposal_close(open_proposal.pk, actor=seated[0])
    actions = [event.action for event in decision_log(user=seated[1], council=council)]
    assert actions == [
        "proposal.create",
        "proposal.open",
        "vote.cast",
        "vote.cast",
        "vote.cast",
        "proposal.close",
        "standard.adopt",
    ]
