"""A quality check leased to a worker that died (``portal.leases``): the minute's sweep re-queues it and the run
finishes with one result."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.leases import lease_take
from products.quality import services as quality
from products.quality.models import CheckRunItem
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock_port(product, demo_warehouse):
    return factories.OutputPortFactory(product=product, name="stock", warehouse=demo_warehouse, table="stock_levels")


def test_a_quality_check_whose_worker_died_is_re_run_once(stock_port, django_capture_on_commit_callbacks):
    factories.QualityCheckFactory(product=stock_port.product, port=stock_port, params={"min_rows": 1})
    with django_capture_on_commit_callbacks(execute=False):
        run = quality.quality_run_start(actor=None, product=stock_port.product)
    quality.quality_run_execute(run.pk)
    item = CheckRunItem.objects.get(run=run)
    assert lease_take(CheckRunItem, item.pk) is not None  # the worker dies with it
    CheckRunItem.objects.filter(pk=item.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert quality.quality_runs_sweep()["requeued"] == 1
    run.refresh_from_db()
    assert (run.status, run.completed) == ("done", 1)
    assert run.results.get().state == "passed"
