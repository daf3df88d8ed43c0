"""Drift: on real SQLite and PostgreSQL tables, a dropped column, an added column and a type change each open one
finding, a second check opens nothing more, and each resolves once the table is fixed; once on a real worker over
Redis."""

import sqlite3

import pytest

from products.contracts import drift_runs
from products.contracts.drift import drift_compare, type_family, types_agree
from products.contracts.models import DriftFinding, DriftRun
from tests import factories
from tests.celery_worker import wait_for
from tests.pages import product_panel_url
from tests.products.quality import pg_support

COLUMNS = [("id", "bigint", False), ("email", "string", True), ("amount", "decimal(12,2)", True)]


def _port(product, warehouse, table):
    port = factories.OutputPortFactory(product=product, name="orders", warehouse=warehouse, table=table)
    for position, (name, data_type, nullable) in enumerate(COLUMNS):
        factories.SchemaFieldFactory(port=port, name=name, data_type=data_type, nullable=nullable, position=position)
    return port


def _check(product, owner, capture):
    with capture(execute=True):
        run = drift_runs.drift_run_start(actor=owner, product=product)
    run.refresh_from_db()
    assert run.status == DriftRun.Status.DONE and run.completed == run.total == 1
    return run


def _open(port):
    return sorted((f.kind, f.column) for f in DriftFinding.objects.filter(port=port, resolved_at=None))


def test_type_families_and_sqlite_affinity():
    assert type_family("character varying(40)") == type_family("string") == "string"
    assert type_family("timestamp without time zone") == type_family("timestamptz") == "timestamp"
    assert types_agree("decimal(12,2)", "numeric", "postgresql") and not types_agree("integer", "text", "postgresql")
    assert types_agree("timestamp", "TEXT", "sqlite") and types_agree("boolean", "INTEGER", "sqlite")
    assert not types_agree("integer", "TEXT", "sqlite") and not types_agree("string", "INTEGER", "sqlite")
    declared = [{"name": "id", "data_type": "integer", "nullable": False}]
    assert [d.kind for d in drift_compare(declared, [{"name": "id", "type": "integer", "nullable": True}], "x")] == [
        "nullable"
    ]
    assert [d.kind for d in drift_compare(declared, None, "sqlite")] == ["table_missing"]


@pytest.mark.django_db
def test_drift_on_sqlite_opens_once_and_resolves(product, owner, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "wh.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, amount REAL)")
    conn.commit()
    warehouse = factories.WarehouseFactory(name="drift-sqlite", engine="sqlite", path=str(path))
    port = _port(product, warehouse, "orders")
    _check(product, owner, django_capture_on_commit_callbacks)
    assert _open(port) == []
    conn.executescript(
        "ALTER TABLE orders DROP COLUMN email; ALTER TABLE orders ADD COLUMN coupon TEXT;"
        "ALTER TABLE orders RENAME COLUMN amount TO amount_old; ALTER TABLE orders ADD COLUMN amount TEXT;"
    )
    _check(product, owner, django_capture_on_commit_callbacks)
    _check(product, owner, django_capture_on_commit_callbacks)  # again: nothing more opens
    assert _open(port) == [("extra", "amount_old"), ("extra", "coupon"), ("missing", "email"), ("type", "amount")]
    assert DriftFinding.objects.count() == 4
    conn.executescript(
        "ALTER TABLE orders DROP COLUMN coupon; ALTER TABLE orders DROP COLUMN amount;"
        "ALTER TABLE orders RENAME COLUMN amount_old TO amount; ALTER TABLE orders ADD COLUMN email TEXT;"
    )
    conn.close()
    _check(product, owner, django_capture_on_commit_callbacks)
    assert _open(port) == [] and DriftFinding.objects.filter(resolved_at__isnull=False).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_drift_on_postgresql_opens_once_and_resolves(product, owner, monkeypatch, settings):
    prefix = pg_support.checker_settings(settings)
    with pg_support.warehouse_database(prefix) as database:
        with database.connect() as conn:
            conn.execute("CREATE SCHEMA sales")
            conn.execute("CREATE TABLE sales.orders (id bigint NOT NULL, email text, amount numeric(12,2))")
        monkeypatch.setenv("DRIFT_PG_DSN", database.dsn)
        warehouse = factories.WarehouseFactory(name="drift-pg", engine="postgresql", dsn_env="DRIFT_PG_DSN", path="")
        port = _port(product, warehouse, "sales.orders")
        drift_runs.drift_run_start(actor=owner, product=product)  # eager: runs on commit (autocommit here)
        assert _open(port) == []
        with database.connect() as conn:
            conn.execute("ALTER TABLE sales.orders DROP COLUMN email")
            conn.execute("ALTER TABLE sales.orders ADD COLUMN coupon text")
            conn.execute("ALTER TABLE sales.orders ALTER COLUMN amount TYPE integer")
            conn.execute("ALTER TABLE sales.orders ALTER COLUMN id DROP NOT NULL")
        for _ in range(2):
            drift_runs.drift_run_start(actor=owner, product=product)
        assert _open(port) == [("extra", "coupon"), ("missing", "email"), ("nullable", "id"), ("type", "amount")]
        assert DriftFinding.objects.count() == 4
        with database.connect() as conn:
            conn.execute("ALTER TABLE sales.orders DROP COLUMN coupon")
            conn.execute("ALTER TABLE sales.orders ADD COLUMN email varchar(320)")
            conn.execute("ALTER TABLE sales.orders ALTER COLUMN amount TYPE numeric(12,2)")
            conn.execute("ALTER TABLE sales.orders ALTER COLUMN id SET NOT NULL")
        drift_runs.drift_run_start(actor=owner, product=product)
        assert _open(port) == []
        assert DriftRun.objects.filter(status="done").count() == 4


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_drift_check_on_a_real_worker_over_redis(celery_worker_redis, product, owner, tmp_path):
    path = tmp_path / "wh.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount TEXT, extra_col TEXT)")
    conn.commit()
    warehouse = factories.WarehouseFactory(name="drift-redis", engine="sqlite", path=str(path))
    port = _port(product, warehouse, "orders")
    run = drift_runs.drift_run_start(actor=owner, product=product)
    wait_for(lambda: DriftRun.objects.filter(pk=run.pk, status="done").exists(), timeout=30)
    assert _open(port) == [("extra", "extra_col"), ("missing", "email"), ("type", "amount")]
    conn.executescript("ALTER TABLE orders DROP COLUMN extra_col; ALTER TABLE orders DROP COLUMN amount;")
    conn.executescript("ALTER TABLE orders ADD COLUMN email TEXT; ALTER TABLE orders ADD COLUMN amount REAL;")
    conn.close()
    run = drift_runs.drift_run_start(actor=owner, product=product)
    wait_for(lambda: DriftRun.objects.filter(pk=run.pk, status="done").exists(), timeout=30)
    assert _open(port) == [] and DriftFinding.objects.count() == 3


@pytest.mark.django_db
def test_a_chunk_delivered_twice_counts_each_port_once(product, owner, tmp_path):
    path = tmp_path / "wh.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE orders (id INTEGER, email TEXT, amount REAL)").connection.close()
    warehouse = factories.WarehouseFactory(name="drift-twice", engine="sqlite", path=str(path))
    port = _port(product, warehouse, "orders")
    run = DriftRun.objects.create(product=product, port_ids=[port.pk], total=1, status="running")
    assert drift_runs.drift_chunk_check(run.pk, warehouse.pk, [port.pk]) == 1
    run.status = "running"
    run.save(update_fields=["status"])
    assert drift_runs.drift_chunk_check(run.pk, warehouse.pk, [port.pk]) == 0
    run.refresh_from_db()
    assert run.completed == 1


@pytest.mark.django_db
def test_an_unreachable_warehouse_changes_no_finding(product, owner, tmp_path, django_capture_on_commit_callbacks):
    warehouse = factories.WarehouseFactory(name="drift-gone", engine="sqlite", path=str(tmp_path / "missing.db"))
    port = _port(product, warehouse, "orders")
    DriftFinding.objects.create(port=port, kind="missing", column="email", summary="email is declared but not in it")
    run = _check(product, owner, django_capture_on_commit_callbacks)
    assert run.failed == 1 and _open(port) == [("missing", "email")]
    assert "does not exist" in port.drift_state.error


@pytest.mark.django_db
def test_the_product_page_shows_findings_to_the_team_and_counts_to_others(
    product, owner, analyst, client_for, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "wh.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE orders (id INTEGER, amount REAL, secret_col TEXT)").connection.close()
    port = _port(product, factories.WarehouseFactory(name="drift-page", engine="sqlite", path=str(path)), "orders")
    _check(product, owner, django_capture_on_commit_callbacks)
    team_html = client_for(owner).get(product_panel_url(product, "contract")).content.decode()
    assert 'id="contract"' in team_html and "secret_col is in the table" in team_html and "Check now" in team_html
    other_html = client_for(analyst).get(product_panel_url(product, "contract")).content.decode()
    assert 'data-drift-open="3"' in other_html and "secret_col" not in other_html and "Check now" not in other_html
    assert port.drift_findings.count() == 3  # email missing, secret_col extra, id nullable


def _sqlite_port(product, tmp_path, name="drift-lease"):
    path = tmp_path / "wh.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE orders (id INTEGER, email TEXT, amount REAL)").connection.close()
    warehouse = factories.WarehouseFactory(name=name, engine="sqlite", path=str(path))
    return _port(product, warehouse, "orders")


@pytest.mark.django_db
def test_a_chunk_whose_worker_died_is_run_again_by_the_minute_sweep(
    product, owner, tmp_path, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from portal.leases import lease_take
    from products.contracts.models import DriftChunk

    port = _sqlite_port(product, tmp_path)
    with django_capture_on_commit_callbacks(execute=False):  # the messages are lost with the worker
        run = drift_runs.drift_run_start(actor=owner, product=product)
        drift_runs.drift_run_execute(run.pk)
    chunk = DriftChunk.objects.get(run=run)
    assert chunk.port_ids == [port.pk]
    assert lease_take(DriftChunk, chunk.pk) is not None  # a worker takes it, then is killed: no heartbeat
    DriftChunk.objects.filter(pk=chunk.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        swept = drift_runs.drift_runs_sweep()
    assert swept["requeued"] == 1 and swept["redispatched"] == 1
    run.refresh_from_db()
    chunk.refresh_from_db()
    assert (run.status, run.completed, run.failed, chunk.state, chunk.attempts) == ("done", 1, 0, "done", 2)
    assert drift_runs.drift_runs_sweep()["redispatched"] == 0  # nothing left to send


@pytest.mark.django_db
def test_a_chunk_out_of_attempts_records_its_ports_as_unreadable_and_the_run_finishes(
    product, owner, tmp_path, settings, django_capture_on_commit_callbacks
):
    from products.contracts.models import DriftChunk, PortDriftState

    port = _sqlite_port(product, tmp_path, name="drift-give-up")
    with django_capture_on_commit_callbacks(execute=False):
        run = drift_runs.drift_run_start(actor=owner, product=product)
        drift_runs.drift_run_execute(run.pk)
    DriftChunk.objects.filter(run=run).update(attempts=settings.MESH_LEASE_MAX_ATTEMPTS, last_error="killed")
    with django_capture_on_commit_callbacks(execute=True):
        assert drift_runs.drift_runs_sweep()["failed"] == 1
    run.refresh_from_db()
    assert (run.status, run.completed, run.failed) == ("done", 1, 1)
    state = PortDriftState.objects.get(port=port)
    assert "could not finish after 5 attempts" in state.error and _open(port) == []


@pytest.mark.django_db
def test_a_running_check_without_chunks_is_cut_into_chunks_by_the_sweep(
    product, tmp_path, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    port = _sqlite_port(product, tmp_path, name="drift-unchunked")
    started = timezone.now() - timedelta(minutes=5)  # e.g. begun before chunks were leased, its messages lost
    run = DriftRun.objects.create(product=product, port_ids=[port.pk], total=1, status="running", created_at=started)
    with django_capture_on_commit_callbacks(execute=True):
        assert drift_runs.drift_runs_sweep()["started"] == 1
    run.refresh_from_db()
    assert (run.status, run.completed) == ("done", 1)
