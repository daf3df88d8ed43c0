"""A check reads its own port's table and yields a figure, on SQLite: other products' tables, the schema tables,
PRAGMA, temp tables and unsafe functions are refused by the authorizer, and no row value reaches a result, an
incident, a notification, the audit history, a webhook or a page."""

import sqlite3

import pytest

from products.quality.models import CheckResult
from products.quality.runner import NOT_ONE_NUMBER, SqliteAuthorizer, _sqlite_fetch, check_execute
from products.warehouse import warehouse_connection
from tests import factories
from tests.products.quality.leaks import SECRET, SECRET_PARTS, assert_secret_reaches_nobody, custom_check, run_checks

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(demo_warehouse):
    """The demo warehouse plus another product's table holding the secret, and an ``auth_user`` table holding it
    too (what a portal sharing the warehouse's database would have)."""
    conn = sqlite3.connect(demo_warehouse.path)
    with conn:
        conn.execute("CREATE TABLE partner_contacts (contact_id INTEGER, email TEXT)")
        conn.execute("INSERT INTO partner_contacts VALUES (1, ?), (2, 'x@example.org')", [SECRET])
        conn.execute("CREATE TABLE auth_user (id INTEGER, email TEXT, password TEXT)")
        conn.execute("INSERT INTO auth_user VALUES (1, ?, 'pbkdf2$secret')", [SECRET])
        conn.execute("CREATE VIEW stock_positive AS SELECT sku, on_hand FROM stock_levels WHERE on_hand > 0")
    conn.close()
    return demo_warehouse


@pytest.fixture
def stock_port(product, planted):
    return factories.OutputPortFactory(product=product, name="stock", warehouse=planted, table="stock_levels")


@pytest.fixture
def partner_port(other_product, planted):
    return factories.OutputPortFactory(
        product=other_product, name="partners", warehouse=planted, table="partner_contacts"
    )


FORBIDDEN = [
    "SELECT COUNT(*) FROM partner_contacts",
    "SELECT email FROM partner_contacts",
    "SELECT COUNT(*) FROM main.partner_contacts",
    "SELECT COUNT(*) FROM auth_user WHERE email LIKE 's%'",
    "SELECT COUNT(*) FROM {table} WHERE EXISTS (SELECT 1 FROM partner_contacts)",
    "SELECT (SELECT COUNT(*) FROM partner_contacts) + COUNT(*) FROM {table}",
    "WITH x AS (SELECT email FROM partner_contacts) SELECT COUNT(*) FROM x",
    "WITH stock_levels AS (SELECT email AS sku FROM partner_contacts) SELECT COUNT(*) FROM stock_levels",
    "SELECT COUNT(*) FROM sqlite_master",
    "SELECT COUNT(*) FROM sqlite_schema WHERE sql LIKE '%email%'",
    "SELECT COUNT(*) FROM sqlite_temp_master",
    "SELECT COUNT(*) FROM temp.sqlite_master",
    "SELECT COUNT(*) FROM pragma_table_info('partner_contacts')",
    "SELECT COUNT(*) FROM json_each('[1, 2]')",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT COUNT(*) FROM n",
    "SELECT unicode(sku) FROM {table}",
    "SELECT hex(sku) FROM {table}",
    "SELECT length(group_concat(sku)) FROM {table}",
    "SELECT load_extension('mod_spatialite')",
    "SELECT sqlite_version()",
]


@pytest.mark.parametrize("sql", FORBIDDEN)
def test_a_check_reads_nothing_but_its_ports_table(stock_port, partner_port, sql):
    outcome = check_execute(custom_check(stock_port, "probe", sql))
    assert outcome.state == "error" and outcome.observed_value is None
    assert outcome.message.startswith("sqlite3.")
    assert any(word in outcome.message for word in ("prohibited", "not authorized", "vtable constructor failed"))
    assert not any(part in outcome.message for part in SECRET_PARTS)


@pytest.mark.parametrize(
    ("sql", "value"),
    [
        ("SELECT COUNT(*) FROM {table}", 150.0),
        ("SELECT COUNT(*) FROM stock_levels WHERE sku LIKE 'SKU-%' AND on_hand >= 0", 150.0),
        ("SELECT COUNT(DISTINCT location_id) FROM {table}", 5.0),
        ("SELECT ROUND(MIN(julianday(measured_at)) - MIN(julianday(measured_at)), 1) FROM {table}", 0.0),
        ("WITH s AS (SELECT on_hand FROM {table}) SELECT COUNT(*) FROM s WHERE on_hand >= 0", 150.0),
        ("SELECT COALESCE(SUM(CASE WHEN on_hand < 0 THEN 1 ELSE 0 END), 0) FROM {table}", 0.0),
    ],
)
def test_a_check_on_its_own_table_yields_its_figure(stock_port, sql, value):
    outcome = check_execute(custom_check(stock_port, "own", sql))
    assert (outcome.state, outcome.observed_value) == ("passed", value), outcome.message


def test_a_view_port_reads_through_its_view_only(product, planted):
    port = factories.OutputPortFactory(product=product, name="positive", warehouse=planted, table="stock_positive")
    counted = check_execute(custom_check(port, "count", "SELECT COUNT(*) FROM {table}"))
    assert counted.state == "passed" and counted.observed_value > 0, counted.message
    rows = check_execute(factories.QualityCheckFactory(product=product, port=port, params={"min_rows": 1}))
    assert rows.state == "passed", rows.message
    for sql in ("SELECT COUNT(*) FROM partner_contacts", "SELECT COUNT(*) FROM sqlite_master"):
        assert check_execute(custom_check(port, f"probe {sql}", sql)).state == "error"


def test_every_kind_still_runs_under_the_authorizer(stock_port):
    kinds = [
        ("completeness", "sku", {"min_percent": 100}),
        ("uniqueness", "sku", {"max_duplicates": 1000}),
        ("accepted_values", "location_id", {"values": ["101", "102", "103", "104", "105"]}),
        ("freshness", "measured_at", {"max_age_minutes": 60 * 24 * 400}),
        ("row_count", "", {"min_rows": 1}),
    ]
    for kind, column, params in kinds:
        check = factories.QualityCheckFactory(
            product=stock_port.product, port=stock_port, kind=kind, column=column, params=params
        )
        outcome = check_execute(check)
        assert outcome.state == "passed", (kind, outcome.message)


def test_the_authorizer_is_removed_after_the_check(stock_port):
    with warehouse_connection(stock_port.warehouse) as conn:
        assert _sqlite_fetch(conn, stock_port, "SELECT COUNT(*) FROM [stock_levels]", []) == (150,)
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] > 0


def test_the_authorizer_denies_pragma_attach_and_writes(planted):
    authorizer = SqliteAuthorizer("stock_levels")
    conn = sqlite3.connect(planted.path)
    conn.set_authorizer(authorizer)
    try:
        for statement in (
            "PRAGMA table_info(partner_contacts)",
            "ATTACH DATABASE ':memory:' AS other",
            "DELETE FROM stock_levels",
            "CREATE TEMP TABLE t (x)",
            "SELECT * FROM temp.sqlite_master",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="not authorized|prohibited"):
                conn.execute(statement)
    finally:
        conn.close()


def test_text_from_its_own_table_is_never_quoted(product, planted):
    """Even the port's own rows are data: a custom check that returns one is an error that does not quote it."""
    port = factories.OutputPortFactory(product=product, name="partners", warehouse=planted, table="partner_contacts")
    for sql in ("SELECT email FROM {table} ORDER BY contact_id", "SELECT MIN(email) FROM {table}"):
        outcome = check_execute(custom_check(port, sql, sql))
        assert (outcome.state, outcome.message, outcome.observed_value) == ("error", NOT_ONE_NUMBER, None)


def test_custom_sql_of_a_check_without_a_port_does_not_run(product, planted):
    check = factories.QualityCheckFactory(
        product=product,
        port=None,
        kind="custom_sql",
        params={"sql": "SELECT COUNT(*) FROM partner_contacts", "operator": ">=", "threshold": 0},
    )
    factories.OutputPortFactory(product=product, name="any", warehouse=planted, table="partner_contacts")
    outcome = check_execute(check)
    assert outcome.state == "error" and "has no port" in outcome.message


def test_saving_custom_sql_without_a_port_is_refused_naming_the_field(owner, product):
    from portal.errors import DomainError
    from products.quality import services as quality_services

    with pytest.raises(DomainError) as refused:
        quality_services.quality_check_save(
            actor=owner,
            product=product,
            name="portless",
            kind="custom_sql",
            dimension="accuracy",
            params={"sql": "SELECT COUNT(*) FROM partner_contacts", "operator": ">", "threshold": 0},
        )
    assert refused.value.field == "port"


def test_no_secret_reaches_results_incidents_notifications_history_or_pages(
    client_for, owner, member, analyst, other_owner, stock_port, partner_port, django_capture_on_commit_callbacks
):
    factories.WebhookEndpointFactory(event_kinds=["quality.incident.opened"])  # the outbox carries incidents too
    own_rows = factories.OutputPortFactory(
        product=stock_port.product, name="contacts", warehouse=stock_port.warehouse, table="partner_contacts"
    )
    probes = {
        "other product": "SELECT email FROM partner_contacts",
        "portal users": "SELECT email FROM auth_user",
        "schema": "SELECT sql FROM sqlite_master",
    }
    for name, sql in probes.items():
        custom_check(stock_port, name, sql)
    custom_check(own_rows, "own text", "SELECT email FROM {table} ORDER BY contact_id")
    custom_check(stock_port, "fine", "SELECT COUNT(*) FROM {table}")
    run = run_checks(stock_port.product, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert (run.status, run.total, run.failed) == ("done", 5, 4)
    assert CheckResult.objects.get(quality_check__name="fine").observed_value == 150.0
    assert_secret_reaches_nobody(
        client_for,
        stock_port.product,
        readers=[owner, analyst, other_owner],
        recipients=[owner, member],
        expect_incidents=4,
    )
