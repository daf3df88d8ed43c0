"""Checks against real PostgreSQL tables: a schema of its own in the test database, reached as a warehouse
through an environment variable DSN, each check run as its port's checker role. Custom SQL cannot write there
either. (``test_confinement_postgres`` covers what a check may not read, as a non-superuser warehouse user.)"""

import psycopg
import pytest
from django.db import connection

from products.access import services as access_services
from products.quality.runner import check_execute
from tests import factories
from tests.products.quality import pg_support

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCHEMA = "t7q_shop"
DSN_ENV = "MESH_T7Q_WAREHOUSE_DSN"


def _dsn() -> str:
    info = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=info["HOST"] or "127.0.0.1",
        port=info["PORT"] or 5432,
        user=info["USER"],
        password=info["PASSWORD"] or None,
        dbname=info["NAME"],
    )


@pytest.fixture
def pg_port(settings, monkeypatch, product, admin_user):
    prefix = pg_support.checker_settings(settings)
    monkeypatch.setenv(DSN_ENV, _dsn())
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(
            f"CREATE TABLE {SCHEMA}.orders (order_id bigint, country text, amount numeric, "
            "loaded_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(
            f"INSERT INTO {SCHEMA}.orders (order_id, country, amount) VALUES "
            "(1, 'DE', 10), (2, 'FR', 20), (3, NULL, 30), (3, 'XX', 40)"
        )
    warehouse = factories.WarehouseFactory(name="pg-quality", engine="postgresql", dsn_env=DSN_ENV, path="")
    port = factories.OutputPortFactory(product=product, name="orders", warehouse=warehouse, table=f"{SCHEMA}.orders")
    access_services.warehouse_checkers_provision(actor=admin_user, warehouse=warehouse)
    yield port
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"DROP SCHEMA IF EXISTS {settings.MESH_CHECKER_SCHEMA} CASCADE")
    pg_support.roles_drop(prefix)


def _check(port, kind, column="", **params):
    return factories.QualityCheckFactory(
        product=port.product, port=port, kind=kind, column=column, params=params, dimension="accuracy"
    )


@pytest.mark.parametrize(
    ("kind", "column", "params", "state", "value"),
    [
        ("row_count", "", {"min_rows": 1, "max_rows": 10}, "passed", 4.0),
        ("completeness", "country", {"min_percent": 90}, "failed", 75.0),
        ("uniqueness", "order_id", {}, "failed", 1.0),
        ("accepted_values", "country", {"values": ["DE", "FR"]}, "failed", 1.0),
        ("freshness", "loaded_at", {"max_age_minutes": 15}, "passed", None),
        (
            "custom_sql",
            "",
            {"sql": "SELECT SUM(amount) FROM {table}", "operator": "=", "threshold": 100},
            "passed",
            100.0,
        ),
        (
            "custom_sql",
            "",
            {"sql": "SELECT COUNT(*) FROM {table} WHERE country LIKE 'D%'", "operator": "=", "threshold": 1},
            "passed",
            1.0,
        ),
    ],
)
def test_each_kind_runs_against_a_real_postgres_table(pg_port, kind, column, params, state, value):
    outcome = check_execute(_check(pg_port, kind, column, **params))
    assert outcome.state == state, outcome.message
    if value is not None:
        assert outcome.observed_value == value


def test_missing_column_and_bad_sql_record_the_postgres_error_redacted(pg_port):
    missing = check_execute(_check(pg_port, "completeness", "no_such_column", min_percent=1))
    assert (missing.state, missing.message) == (
        "error",
        'psycopg.errors.UndefinedColumn (SQLSTATE 42703): column "…" does not exist',
    )
    bad = check_execute(_check(pg_port, "custom_sql", sql="SELEC 1", operator=">", threshold=0))
    assert (bad.state, bad.message) == (
        "error",
        'psycopg.errors.SyntaxError (SQLSTATE 42601): syntax error at or near "…"',
    )


def test_custom_sql_delete_changes_nothing_on_postgres(pg_port):
    for sql in (f"DELETE FROM {SCHEMA}.orders", f"WITH gone AS (DELETE FROM {SCHEMA}.orders RETURNING 1) SELECT 1"):
        outcome = check_execute(_check(pg_port, "custom_sql", sql=sql, operator=">", threshold=0))
        assert outcome.state == "error"
        assert "read-only transaction" in outcome.message or "as cursor" in outcome.message, outcome.message
    with psycopg.connect(_dsn()) as conn:
        assert conn.execute(f"SELECT COUNT(*) FROM {SCHEMA}.orders").fetchone()[0] == 4


def test_a_slow_custom_sql_check_stops_at_the_statement_timeout(pg_port):
    check = _check(pg_port, "custom_sql", sql="SELECT pg_sleep(5)::text::int", operator=">", threshold=0)
    outcome = check_execute(check, timeout_ms=200)
    assert outcome.state == "error" and "statement timeout" in outcome.message


def test_two_evaluations_at_once_open_one_incident(pg_port, owner):
    import threading

    from django.db import connections

    from products.quality import services as quality_services
    from products.quality.models import Incident

    check = _check(pg_port, "row_count", min_rows=100)
    factories.CheckResultFactory(quality_check=check, state="failed")
    barrier = threading.Barrier(2)

    def evaluate():
        barrier.wait()
        try:
            quality_services.quality_product_evaluate(check.product_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=evaluate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Incident.objects.filter(quality_check=check).count() == 1
