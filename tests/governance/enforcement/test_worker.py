"""An enforcement run fanned out on a real Celery worker over Redis: chunks count into the run, the last one
closes it, and a second run opens nothing new."""

import pytest
from django.db import OperationalError

from governance.enforcement import services
from governance.enforcement.models import EnforcementRun, Violation
from products.models import DataProduct
from tests import factories
from tests.celery_worker import celery_worker_redis, wait_for  # noqa: F401 - the fixture, by name

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _done(run_id: int):
    """The run once closed. SQLite's shared in-memory test database may refuse a read while a worker thread
    writes ("table is locked"): poll again then."""
    try:
        return EnforcementRun.objects.filter(pk=run_id, status="done").first()
    except OperationalError:
        return None


def test_run_fans_out_in_chunks_on_a_real_worker(request):
    team = factories.TeamFactory(slug="fan-out")
    for index in range(7):
        factories.DataProductFactory(owner_team=team, slug=f"fan-{index}")  # no accountable person: one violation
    # The worker starts once the catalog is written: SQLite's shared in-memory test database locks whole tables.
    request.getfixturevalue("celery_worker_redis")
    run = services.enforcement_run_start(trigger="manual", chunk_size=3)
    assert run.chunks_total == 3
    done = wait_for(lambda: _done(run.pk), timeout=30)
    assert (done.chunks_done, done.products_checked) == (3, 7)
    # Creating the products already evaluated them on commit (no accountable person, no schema: two each).
    assert Violation.objects.filter(resolved_at__isnull=True).count() == 14
    before = set(Violation.objects.values_list("pk", "resolved_at"))

    again = services.enforcement_run_start(trigger="manual", chunk_size=3)
    second = wait_for(lambda: _done(again.pk), timeout=30)
    assert (second.violations_opened, second.violations_resolved) == (0, 0)
    assert set(Violation.objects.values_list("pk", "resolved_at")) == before

    fixed = DataProduct.objects.get(slug="fan-0")
    DataProduct.objects.filter(pk=fixed.pk).update(accountable=factories.UserFactory(username="fan-owner"))
    third = services.enforcement_run_start(trigger="manual", chunk_size=3)
    third = wait_for(lambda: _done(third.pk), timeout=30)
    assert (third.violations_opened, third.violations_resolved) == (0, 1)
    assert not Violation.objects.filter(product=fixed, rule_key="baseline:owner", resolved_at__isnull=True).exists()
