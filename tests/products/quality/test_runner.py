"""The check runner against a real SQLite warehouse: every kind, errors carry the database's message, custom SQL
cannot write, and a run fans out, records each result once and scores the product."""

import sqlite3

import pytest

from products.quality import services as quality_services
from products.quality.models import CheckResult, CheckRun, QualityCheck
from products.quality.runner import check_execute
from tests import factories

pytestmark = pytest.mark.django_db


def _check(port, kind, column="", **params):
    return factories.QualityCheckFactory(
        product=port.product, port=port, kind=kind, column=column, params=params, dimension="accuracy"
    )


@pytest.fixture
def stock_port(product, demo_warehouse):
    return factories.OutputPortFactory(product=product, name="stock", warehouse=demo_warehouse, table="stock_levels")


@pytest.mark.parametrize(
    ("kind", "column", "params", "state", "value"),
    [
        ("row_count", "", {"min_rows": 1, "max_rows": 1000}, "passed", 150.0),
        ("row_count", "", {"min_rows": 500}, "failed", 150.0),
        ("completeness", "sku", {"min_percent": 100}, "passed", 100.0),
        ("uniqueness", "sku", {"max_duplicates": 0}, "failed", 120.0),
        ("accepted_values", "location_id", {"values": ["101", "102", "103", "104", "105"]}, "passed", 0.0),
        ("accepted_values", "location_id", {"values": ["101"]}, "failed", 120.0),
        (
            "custom_sql",
            "",
            {"sql": "SELECT MIN(on_hand) FROM {table}", "operator": ">=", "threshold": 0},
            "passed",
            None,
        ),
        ("freshness", "measured_at", {"max_age_minutes": 60 * 24 * 400}, "passed", None),
        ("freshness", "measured_at", {"max_age_minutes": 1}, "failed", None),
    ],
)
def test_each_kind_runs_against_the_real_sqlite_table(stock_port, kind, column, params, state, value):
    outcome = check_execute(_check(stock_port, kind, column, **params))
    assert outcome.state == state, outcome.message
    if value is not None:
        assert outcome.observed_value == value


def test_missing_column_records_the_database_error(stock_port):
    outcome = check_execute(_check(stock_port, "completeness", "no_such_column", min_percent=90))
    assert outcome.state == "error"
    assert "no such column: no_such_column" in outcome.message


def test_bad_sql_records_the_database_error_and_the_run_finishes(stock_port, django_capture_on_commit_callbacks):
    bad = _check(stock_port, "custom_sql", sql="SELECT COUNT(* FROM {table}", operator=">", threshold=0)
    good = _check(stock_port, "row_count", min_rows=1)
    with django_capture_on_commit_callbacks(execute=True):
        run = quality_services.quality_run_start(actor=None, product=stock_port.product)
    run.refresh_from_db()
    assert (run.status, run.total, run.completed, run.failed) == ("done", 2, 2, 1)
    error = CheckResult.objects.get(quality_check=bad)
    assert error.state == "error" and "syntax error" in error.message
    assert CheckResult.objects.get(quality_check=good).state == "passed"


def test_custom_sql_delete_changes_nothing_on_sqlite(stock_port, demo_warehouse):
    # Saved directly (the service refuses non-SELECTs): the connection itself must refuse to write.
    attack = _check(stock_port, "custom_sql", sql="DELETE FROM stock_levels", operator=">", threshold=0)
    outcome = check_execute(attack)
    assert outcome.state == "error"
    assert outcome.message == "sqlite3.DatabaseError: not authorized"  # the authorizer allows reading only
    conn = sqlite3.connect(demo_warehouse.path)
    try:
        assert conn.execute("SELECT COUNT(*) FROM stock_levels").fetchone()[0] == 150
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DELETE FROM stock_levels", "single SELECT"),
        ("SELECT 1; DELETE FROM stock_levels", "exactly one statement"),
        ("WITH x AS (SELECT 1) DELETE FROM stock_levels", "single SELECT"),
        ("UPDATE stock_levels SET on_hand = 0", "single SELECT"),
    ],
)
def test_saving_custom_sql_that_is_not_one_select_is_refused_naming_the_field(owner, stock_port, sql, message):
    from portal.errors import DomainError

    with pytest.raises(DomainError) as refused:
        quality_services.quality_check_save(
            actor=owner,
            product=stock_port.product,
            name="evil",
            kind="custom_sql",
            port=stock_port,
            dimension="accuracy",
            params={"sql": sql, "operator": ">", "threshold": 0},
        )
    assert refused.value.field == "sql" and message in refused.value.message
    assert not QualityCheck.objects.filter(name="evil").exists()


@pytest.mark.parametrize(
    ("kind", "column", "params", "field"),
    [
        ("freshness", "", {"max_age_minutes": 15}, "column"),
        ("freshness", "measured_at", {"max_age_minutes": -1}, "params"),
        ("completeness", "sku", {"min_percent": 120}, "params"),
        ("row_count", "", {}, "params"),
        ("row_count", "", {"min_rows": 10, "max_rows": 1}, "params"),
        ("accepted_values", "sku", {"values": []}, "params"),
        ("custom_sql", "", {"sql": "SELECT 1", "operator": "~", "threshold": 1}, "params"),
        ("completeness", "bad name", {"min_percent": 1}, "column"),
    ],
)
def test_bad_params_are_refused_per_kind(owner, stock_port, kind, column, params, field):
    from portal.errors import DomainError

    with pytest.raises(DomainError) as refused:
        quality_services.quality_check_save(
            actor=owner,
            product=stock_port.product,
            name="c",
            kind=kind,
            column=column,
            port=stock_port,
            dimension="accuracy",
            params=params,
        )
    assert refused.value.field == field


def test_a_port_of_another_product_is_refused(owner, stock_port, other_product):
    from portal.errors import DomainError

    foreign = factories.OutputPortFactory(product=other_product, name="foreign")
    with pytest.raises(DomainError) as refused:
        quality_services.quality_check_save(
            actor=owner,
            product=stock_port.product,
            name="c",
            kind="row_count",
            port=foreign,
            dimension="coverage",
            params={"min_rows": 1},
        )
    assert refused.value.field == "port"


def test_saving_a_check_creates_the_products_schedule_editable_in_admin(owner, stock_port):
    from django_celery_beat.models import PeriodicTask

    check = quality_services.quality_check_save(
        actor=owner,
        product=stock_port.product,
        name="rows",
        kind="row_count",
        port=stock_port,
        dimension="coverage",
        params={"min_rows": 1},
    )
    task = PeriodicTask.objects.get(name=f"Quality checks: {stock_port.product.urn}")
    assert task.task == "products.tasks.quality_product_scheduled_task" and task.enabled
    assert task.interval.every == 60
    task.interval = factories_interval(5)
    task.save()
    quality_services.quality_check_save(actor=owner, product=stock_port.product, check=check, enabled=False)
    task.refresh_from_db()
    assert not task.enabled and task.interval.every == 5  # the admin's interval stays


def factories_interval(minutes):
    from django_celery_beat.models import IntervalSchedule

    return IntervalSchedule.objects.create(every=minutes, period=IntervalSchedule.MINUTES)


def test_a_check_task_delivered_twice_records_one_result(stock_port):
    check = _check(stock_port, "row_count", min_rows=1)
    run = CheckRun.objects.create(product=stock_port.product, check_ids=[check.pk], total=1, status="running")
    assert quality_services.quality_check_record(run.pk, check.pk) == "passed"
    assert quality_services.quality_check_record(run.pk, check.pk) in ("duplicate", "no-run")
    run.refresh_from_db()
    assert CheckResult.objects.filter(run=run).count() == 1 and run.completed == 1 and run.status == "done"


def test_run_scores_the_product_weighted_by_severity(stock_port, django_capture_on_commit_callbacks):
    factories.QualityCheckFactory(
        product=stock_port.product,
        port=stock_port,
        kind="row_count",
        params={"min_rows": 1},
        severity="blocker",
        dimension="coverage",
    )
    factories.QualityCheckFactory(
        product=stock_port.product,
        port=stock_port,
        kind="freshness",
        column="measured_at",
        params={"max_age_minutes": 1},
        severity="warning",
        dimension="timeliness",
    )
    with django_capture_on_commit_callbacks(execute=True):
        quality_services.quality_run_start(actor=None, product=stock_port.product)
    stock_port.product.refresh_from_db()
    assert float(stock_port.product.quality_score) == 75.0  # 3 of 4 weight passed
    snapshot = stock_port.product.quality_snapshots.get()
    assert snapshot.dimensions == {"coverage": 100.0, "timeliness": 0.0}


def test_a_second_click_returns_the_run_already_going(owner, stock_port):
    _check(stock_port, "row_count", min_rows=1)
    first = quality_services.quality_run_start(actor=owner, product=stock_port.product)
    second = quality_services.quality_run_start(actor=owner, product=stock_port.product)
    assert first.pk == second.pk and CheckRun.objects.count() == 1
