"""A whole worker killed (SIGKILL to its process group) in the middle of an enforcement run, on real worker
processes over a Redis of the test's own against the PostgreSQL test database: the chunks it held come back when
their leases expire (seconds, not Redis's one-hour visibility timeout), a new worker finishes the run well within
3 minutes, and the violations are exactly those of a clean run: same keys, none twice, every product counted once."""

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from governance.enforcement import services
from governance.enforcement.models import (
    ComplianceSnapshot,
    EnforcementChunk,
    EnforcementRun,
    ProductCompliance,
    Violation,
)
from tests import factories
from tests.faults import RedisServer, publishing_to, service_env, wait_until, worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _open_keys():
    return list(Violation.objects.filter(resolved_at=None).values_list("product_id", "rule_key", "message_key"))


def _catalog(count: int) -> list[int]:
    team = factories.TeamFactory(slug="kill-test")
    factories.StandardFactory(
        code="STD-301", kind="naming_convention", rule={"target": "field_names", "pattern": "^[a-z_]+$"}
    )
    factories.StandardFactory(code="STD-302", kind="min_quality_score", rule={"minimum": 50})
    ids = []
    for index in range(count):
        product = factories.DataProductFactory(owner_team=team, slug=f"kill-{index}", quality_score=40 + index % 20)
        port = factories.OutputPortFactory(product=product)
        factories.SchemaFieldFactory(port=port, name="Bad Name" if index % 3 else "good_name")
        ids.append(product.pk)
    return ids


def _cold() -> None:
    """A cold start: no violation and no score yet, so the run opens every violation itself."""
    Violation.objects.all().delete()
    ProductCompliance.objects.all().delete()
    ComplianceSnapshot.objects.all().delete()


def _hold_row_locks(product_ids: list[int], release: threading.Event, held: threading.Event) -> None:
    """Lock products from another connection so the chunks holding them stall mid-evaluation (a slow warehouse)."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings.get("HOST") or "127.0.0.1",
        port=settings.get("PORT") or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
    ) as conn:
        conn.execute("SELECT id FROM products_dataproduct WHERE id = ANY(%s) FOR UPDATE", [product_ids])
        held.set()
        release.wait(timeout=120)
        conn.rollback()


def test_a_killed_worker_loses_its_chunks_to_a_new_worker_and_the_violations_match_a_clean_run(tmp_path, settings):
    settings.MESH_LEASE_REDISPATCH_SECONDS = 5  # a chunk reserved by the dead worker but never started
    ids = _catalog(40)
    redis = RedisServer().start()
    env = service_env(redis.url, MESH_LEASE_SECONDS="4")
    release, held = threading.Event(), threading.Event()
    # The first product of chunk 0 and of chunk 1 stay locked: both of the worker's processes stall on them.
    locker = threading.Thread(target=_hold_row_locks, args=([ids[0], ids[5]], release, held), daemon=True)
    first = second = None
    try:
        with publishing_to(redis.url):
            locker.start()
            assert held.wait(timeout=10)
            _cold()
            first = worker(env, tmp_path, "doomed")
            run = services.enforcement_run_start(trigger="manual", chunk_size=5)
            assert run.chunks_total == 8
            wait_until(
                lambda: EnforcementChunk.objects.filter(run=run, state="running").count() == 2,
                timeout=60,
                message="the worker holding two chunks",
            )
            wait_until(
                lambda: (
                    EnforcementChunk.objects.filter(run=run, state="running", heartbeat_at__gt=time_ago(2)).count() == 2
                ),
                timeout=10,
                message="heartbeats",
            )
            first.kill_group()  # SIGKILL to the worker and its pool processes, mid-transaction
            killed_at = time.monotonic()
            release.set()
            assert EnforcementRun.objects.get(pk=run.pk).status == "running"

            second = worker(env, tmp_path, "rescuer")
            # Beat's job, every minute in production: here every second until the run is done.
            done = wait_until(
                lambda: (
                    services.enforcement_runs_sweep()
                    and EnforcementRun.objects.filter(pk=run.pk, status="done").first()
                ),
                timeout=170,
                interval=1,
                message="the run finished by the new worker",
            )
            recovered_in = time.monotonic() - killed_at
    finally:
        release.set()
        for process in (first, second):
            if process is not None:
                process.stop()
        redis.stop()

    assert recovered_in < 180
    assert (done.chunks_done, done.products_checked, done.products_total) == (8, 40, 40)
    chunks = list(EnforcementChunk.objects.filter(run=run))
    assert all(chunk.state == "done" for chunk in chunks)
    assert sorted(chunk.attempts for chunk in chunks if chunk.attempts > 1) == [2, 2]  # the two it held, re-run once
    after_kill = _open_keys()
    assert len(after_kill) == len(set(after_kill)) == done.violations_opened  # no key twice, each opened once

    _cold()  # the same catalog, evaluated by a clean run in this process (eager chunks, run on commit)
    clean = services.enforcement_run_start(trigger="manual", chunk_size=5)
    clean.refresh_from_db()
    assert clean.status == "done"
    assert sorted(_open_keys()) == sorted(after_kill)


def time_ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)
