"""The closing job on a real Celery worker over Redis: one outcome, one standard version, and a rerun changes
nothing."""

import pytest
from django.utils import timezone

from governance import services, tasks
from governance.models import Proposal, Standard
from portal.models import AuditEvent
from tests import factories
from tests.celery_worker import celery_worker_redis, wait_for  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _due_proposal(council, chair, holder, title: str) -> Proposal:
    proposal = services.proposal_create(
        actor=holder,
        council=council,
        kind="adopt_standard",
        title=title,
        motivation="M",
        standard_kind="required_metadata",
        standard_title=title,
        standard_text="Describe products.",
        rule={"require": ["owner", "description"]},
    )
    services.proposal_open(actor=chair, proposal=proposal)
    services.vote_cast(actor=holder, proposal=proposal, choice="for")
    Proposal.objects.filter(pk=proposal.pk).update(deadline=timezone.now())
    return proposal


def test_closing_job_on_a_real_worker_runs_once_in_effect(celery_worker_redis):  # noqa: F811
    council = factories.CouncilFactory(name="Worker Council")
    chair = factories.UserFactory(username="worker-chair")
    holder = factories.UserFactory(username="worker-holder")
    factories.SeatFactory(council=council, domain=None, is_chair=True, holder=chair)
    factories.SeatFactory(council=council, holder=holder)
    first = _due_proposal(council, chair, holder, "First")

    tasks.proposals_close_due.delay()
    wait_for(lambda: Standard.objects.filter(adopted_by=first).exists())

    # Run it again, plus a direct close of the same proposal; a second due proposal shows the rerun happened.
    tasks.proposal_close.delay(first.pk)
    second = _due_proposal(council, chair, holder, "Second")
    tasks.proposals_close_due.delay()
    wait_for(lambda: Standard.objects.filter(adopted_by=second).exists())

    first.refresh_from_db()
    assert first.status == Proposal.Status.ACCEPTED
    assert Standard.objects.filter(adopted_by=first).count() == 1
    assert list(Standard.objects.order_by("code").values_list("code", "version")) == [("STD-001", 1), ("STD-002", 1)]
    assert AuditEvent.objects.filter(action="proposal.close", target_id=str(first.pk)).count() == 1
