"""Races on PostgreSQL: two stewards approving one term at once leave one approval; two conflict runs at once
leave one finding per key."""

import threading

import pytest
from django.db import connection

from glossary import conflicts, services
from glossary.models import ConflictFinding
from portal.errors import DomainError
from portal.models import AuditEvent
from tests import factories


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_stewards_approving_at_once_leave_one_approval(crm):
    author = factories.UserFactory(username="arthur")
    stewards = [factories.StewardFactory(domain=crm).user for _ in range(2)]
    term = factories.TermFactory(name="Lead", domain=crm, author=author, status="in_review")
    outcomes = _race(*[lambda s=s: services.term_approve(actor=s, term=term) for s in stewards])
    assert outcomes == ["TransitionNotAllowed", "ok"]
    assert AuditEvent.objects.filter(action="term.approve").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_conflict_runs_at_once_leave_one_finding_per_key(crm, sales):
    author = factories.UserFactory(username="arthur")
    factories.TermFactory(name="Revenue", domain=crm, author=author)
    factories.TermFactory(name="Revenue", domain=sales, author=author)
    factories.StewardFactory(domain=None)
    _race(conflicts.conflicts_detect, conflicts.conflicts_detect)
    assert ConflictFinding.objects.count() == 1
