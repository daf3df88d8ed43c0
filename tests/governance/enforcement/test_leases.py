"""Leased chunks (``portal.leases``) on any database: a chunk whose worker died is re-queued by the sweep and its
re-run gives exactly the violations a clean run gives; a chunk delivered twice counts once; a lost publish is sent
by the sweep; a chunk that keeps failing fails its run with the reason and tells the admins."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.enforcement import services
from governance.enforcement.models import EnforcementChunk, EnforcementRun, ProductCompliance, Violation
from portal.leases import LeaseLost, lease_complete, lease_take, leases_sweep
from portal.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(team):
    factories.StandardFactory(
        code="STD-401", kind="naming_convention", rule={"target": "field_names", "pattern": "^[a-z_]+$"}
    )
    for index in range(9):
        product = factories.DataProductFactory(owner_team=team, slug=f"lease-{index}")
        port = factories.OutputPortFactory(product=product)
        factories.SchemaFieldFactory(port=port, name="Bad Name" if index % 2 else "ok")
    Violation.objects.all().delete()
    ProductCompliance.objects.all().delete()


def _open_keys():
    return sorted(Violation.objects.filter(resolved_at=None).values_list("product_id", "rule_key", "message_key"))


def _expire(chunk) -> None:
    EnforcementChunk.objects.filter(pk=chunk.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_chunk_whose_worker_died_is_re_run_by_the_sweep_with_a_clean_runs_violations(
    catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the broker takes the chunks; no worker yet
        run = services.enforcement_run_start(trigger="manual", chunk_size=3)
    chunks = list(run.chunks.order_by("index"))
    dead = lease_take(EnforcementChunk, chunks[0].pk)  # a worker took chunk 0 and was killed before it committed
    assert dead is not None
    for chunk in chunks[1:]:
        services.enforcement_chunk_execute(chunk.pk)
    assert EnforcementRun.objects.get(pk=run.pk).status == "running"  # chunk 0 is still leased to the dead worker
    assert services.enforcement_runs_sweep()["requeued"] == 0  # its lease has not expired yet

    _expire(chunks[0])
    swept = services.enforcement_runs_sweep()  # re-queued and published again (eager: run here)
    assert swept["requeued"] == 1 and swept["redispatched"] == 1
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.products_checked) == ("done", 3, 9)
    assert EnforcementChunk.objects.get(pk=chunks[0].pk).attempts == 2
    with pytest.raises(LeaseLost):  # the dead worker's late commit, had it come back, would not count
        lease_complete(dead)
    after_rerun = _open_keys()
    assert len(after_rerun) == len(set(after_rerun)) == run.violations_opened

    Violation.objects.all().delete()
    ProductCompliance.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        clean = services.enforcement_run_start(trigger="manual", chunk_size=3)
    assert EnforcementRun.objects.get(pk=clean.pk).status == "done"
    assert _open_keys() == after_rerun


def test_a_chunk_delivered_twice_counts_once(catalog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = services.enforcement_run_start(trigger="manual", chunk_size=5)
    first = run.chunks.order_by("index").first()
    assert services.enforcement_chunk_execute(first.pk) == 5
    assert services.enforcement_chunk_execute(first.pk) == 0  # a second delivery: the chunk is done
    run.refresh_from_db()
    assert (run.chunks_done, run.products_checked) == (1, 5)


def test_a_lost_publish_is_sent_by_the_sweep(catalog, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("portal.services.task_publish", lambda task, *args, **kwargs: False)  # the broker is down
    with django_capture_on_commit_callbacks(execute=True):
        run = services.enforcement_run_start(trigger="manual", chunk_size=5)
    assert set(run.chunks.values_list("dispatched_at", flat=True)) == {None}
    EnforcementChunk.objects.update(created_at=timezone.now() - timedelta(seconds=10))
    monkeypatch.undo()  # the broker is back
    assert services.enforcement_runs_sweep()["redispatched"] == 2
    assert EnforcementRun.objects.get(pk=run.pk).status == "done"


def test_a_chunk_that_keeps_failing_fails_the_run_and_tells_the_admins(
    catalog, admin_user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MESH_LEASE_MAX_ATTEMPTS = 3

    def poisoned(product_ids, **kwargs):
        raise ValueError("a rule the engine cannot evaluate")

    monkeypatch.setattr("governance.enforcement.services.products_evaluate", poisoned)
    with django_capture_on_commit_callbacks(execute=False):
        run = services.enforcement_run_start(trigger="manual", chunk_size=20)
    chunk = run.chunks.get()
    for _attempt in range(3):
        with pytest.raises(ValueError):
            services.enforcement_chunk_execute(chunk.pk)
    chunk.refresh_from_db()
    assert (chunk.state, chunk.attempts) == ("pending", 3) and "cannot evaluate" in chunk.last_error
    assert services.enforcement_chunk_execute(chunk.pk) == 0  # out of attempts: nobody takes it again
    services.enforcement_runs_sweep()
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at is not None
    assert "failed 3 times" in run.failure_reason and "cannot evaluate" in run.failure_reason
    note = Notification.objects.get(recipient=admin_user, kind="governance.enforcement_run_failed")
    assert "cannot evaluate" in note.body
    services.enforcement_runs_sweep()  # again: told once
    assert Notification.objects.filter(kind="governance.enforcement_run_failed").count() == 1
    fresh = services.enforcement_run_start(trigger="manual")  # scheduled enforcement goes on
    assert fresh.pk != run.pk


def test_the_sweep_leaves_a_live_lease_alone_and_a_finished_piece_too(catalog, django_capture_on_commit_callbacks):
    from governance.enforcement.tasks import enforcement_chunk

    with django_capture_on_commit_callbacks(execute=False):
        run = services.enforcement_run_start(trigger="manual", chunk_size=5)
    busy, done = run.chunks.order_by("index")
    assert lease_take(EnforcementChunk, busy.pk) is not None
    assert lease_take(EnforcementChunk, busy.pk) is None  # held: a second worker does not take it
    services.enforcement_chunk_execute(done.pk)
    result = leases_sweep(EnforcementChunk, enforcement_chunk)
    assert (result.requeued, result.redispatched, result.failed) == (0, 0, [])
