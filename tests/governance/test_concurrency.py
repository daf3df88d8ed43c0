"""Races, proven on PostgreSQL with real threads: one vote per seat, one outcome per proposal."""

import threading

import pytest
from django.db import connection, connections

from governance import services
from governance.models import Proposal, Standard, Vote
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _council_with_open_proposal():
    council = factories.CouncilFactory(name="Race Council")
    chair = factories.UserFactory(username="race-chair")
    holder = factories.UserFactory(username="race-holder")
    factories.SeatFactory(council=council, domain=None, is_chair=True, holder=chair)
    factories.SeatFactory(council=council, holder=holder)
    proposal = services.proposal_create(
        actor=holder,
        council=council,
        kind="adopt_standard",
        title="Race",
        motivation="M",
        standard_kind="min_quality_score",
        standard_title="Q",
        standard_text="T",
        rule={"minimum": 50},
    )
    return council, chair, holder, services.proposal_open(actor=chair, proposal=proposal)


def _run_together(count: int, work) -> list:
    barrier = threading.Barrier(count)
    errors: list = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_twenty_concurrent_votes_from_one_seat_leave_exactly_one_vote():
    assert connection.vendor == "postgresql"
    _council, _chair, holder, proposal = _council_with_open_proposal()
    choices = ["for", "against", "abstain"]

    errors = _run_together(
        20, lambda i: services.vote_cast(actor=holder, proposal=proposal, choice=choices[i % 3], rationale=str(i))
    )

    assert errors == []
    assert Vote.objects.filter(proposal=proposal).count() == 1


def test_concurrent_closes_give_one_outcome_and_one_standard_version():
    _council, chair, holder, proposal = _council_with_open_proposal()
    services.vote_cast(actor=holder, proposal=proposal, choice="for")
    services.vote_cast(actor=chair, proposal=proposal, choice="for")
    Proposal.objects.filter(pk=proposal.pk).update(deadline=proposal.opened_at)

    errors = _run_together(8, lambda i: services.proposal_close(proposal.pk))

    assert errors == []
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    assert Standard.objects.filter(adopted_by=proposal).count() == 1
