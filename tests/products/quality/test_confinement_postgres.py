"""A check reads its own port's table and yields a figure, on a real PostgreSQL warehouse reached as a
non-superuser: it runs as its port's checker role, so other products' tables, a table named ``auth_user``, the
portal's own ``auth_user`` (when the portal shares the warehouse's database) and ``pg_read_file`` are refused, a
``set_config('role', …)`` cannot hand it back the warehouse user's rights, and database errors that quote a value
are stored redacted."""

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from products.access import services as access_services
from products.quality.models import CheckResult
from products.quality.runner import NO_CHECKER, NOT_ONE_NUMBER, check_execute
from products.warehouse import checker_function, checker_role
from tests import factories
from tests.products.quality import pg_support
from tests.products.quality.leaks import SECRET, SECRET_PARTS, assert_secret_reaches_nobody, custom_check, run_checks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DSN_ENV = "MESH_TCHK_WAREHOUSE_DSN"


class Setup:
    """What the fixture built: the warehouse database, its ports, and the checker prefix."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def fetch(self, statement, params=None):
        with self.db.connect() as conn:
            return conn.execute(statement, params).fetchall()


@pytest.fixture
def pg(settings, monkeypatch, product, other_product, admin_user):
    prefix = pg_support.checker_settings(settings)
    with pg_support.warehouse_database(prefix) as db:
        with db.connect() as conn:
            conn.execute("CREATE SCHEMA shop")
            conn.execute(
                "CREATE TABLE shop.orders (order_id bigint, amount numeric, note text, "
                "loaded_at timestamptz NOT NULL DEFAULT now())"
            )
            conn.execute(
                "INSERT INTO shop.orders (order_id, amount, note) VALUES (1, 10, %s), (2, 20, 'ok'), (3, 30, NULL)",
                [SECRET],
            )
            conn.execute("CREATE TABLE shop.archive (order_id bigint)")
            conn.execute("CREATE SCHEMA partner")
            conn.execute("CREATE TABLE partner.customers (customer_id bigint, email text)")
            conn.execute("INSERT INTO partner.customers VALUES (1, %s)", [SECRET])
            conn.execute("CREATE TABLE public.auth_user (id int, email text, password text)")
            conn.execute("INSERT INTO public.auth_user VALUES (1, %s, 'pbkdf2_sha256$x')", [SECRET])
        monkeypatch.setenv(DSN_ENV, db.dsn)
        warehouse = factories.WarehouseFactory(name="pg-wh", engine="postgresql", dsn_env=DSN_ENV, path="")
        own = factories.OutputPortFactory(product=product, name="orders", warehouse=warehouse, table="shop.orders")
        partner = factories.OutputPortFactory(
            product=other_product, name="customers", warehouse=warehouse, table="partner.customers"
        )
        roles = access_services.warehouse_checkers_provision(actor=admin_user, warehouse=warehouse)
        assert roles == sorted([checker_role(own.pk), checker_role(partner.pk)])
        yield Setup(db=db, prefix=prefix, warehouse=warehouse, own=own, partner=partner, admin=admin_user)


def test_own_table_checks_run_as_the_checker_and_yield_figures(pg):
    rows = check_execute(factories.QualityCheckFactory(product=pg.own.product, port=pg.own, params={"min_rows": 3}))
    assert (rows.state, rows.observed_value) == ("passed", 3.0), rows.message
    total = check_execute(custom_check(pg.own, "sum", "SELECT SUM(amount) FROM {table}", operator="=", threshold=60))
    assert (total.state, total.observed_value) == ("passed", 60.0), total.message
    role = checker_role(pg.own.pk)
    who = check_execute(custom_check(pg.own, "who", f"SELECT (current_user = '{role}')::int"))  # noqa: S608
    assert who.observed_value == 1.0, who.message
    fresh = factories.QualityCheckFactory(
        product=pg.own.product, port=pg.own, kind="freshness", column="loaded_at", params={"max_age_minutes": 5}
    )
    assert check_execute(fresh).state == "passed"


FORBIDDEN = [
    "SELECT COUNT(*) FROM partner.customers",
    "SELECT email FROM partner.customers",
    "SELECT COUNT(*) FROM public.auth_user WHERE email LIKE 's%'",
    "SELECT length(pg_read_file('/etc/passwd'))",
    "SELECT COUNT(*) FROM pg_catalog.pg_authid",
    # Handing the statement back the warehouse user's rights, then reading through dynamic SQL:
    "SELECT length(set_config('role', 'none', true)) * 0 "
    "+ length(query_to_xml('SELECT email FROM partner.customers', false, false, '')::text)",
    "SELECT ascii(substr(query_to_xml('SELECT email FROM partner.customers', false, false, '')::text, 60, 1))",
    "SELECT COUNT(*) FROM {table} WHERE EXISTS (SELECT 1 FROM partner.customers WHERE email LIKE 's%')",
    "WITH x AS (SELECT email FROM public.auth_user) SELECT COUNT(*) FROM x",
]


@pytest.mark.parametrize("statement", FORBIDDEN)
def test_a_check_reads_nothing_but_its_ports_table(pg, statement):
    outcome = check_execute(custom_check(pg.own, "probe", statement))
    assert outcome.state == "error" and outcome.observed_value is None, outcome.message
    assert outcome.message.startswith("psycopg.errors.")
    assert not any(part in outcome.message for part in (*SECRET_PARTS, "root:"))


def test_without_the_confinement_the_warehouse_user_could_read_them(pg):
    """The guard above is the checker role, not the warehouse user's own rights: it reads everything."""
    assert pg.fetch("SELECT email FROM partner.customers") == [(SECRET,)]
    assert pg.fetch("SELECT email FROM public.auth_user") == [(SECRET,)]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "SELECT CAST(note AS integer) FROM {table} WHERE note LIKE '%@%'",
            "psycopg.errors.InvalidTextRepresentation (SQLSTATE 22P02): a value could not be converted or computed",
        ),
        (
            f"SELECT CAST('{SECRET}' AS integer)",
            "psycopg.errors.InvalidTextRepresentation (SQLSTATE 22P02): a value could not be converted or computed",
        ),
        (
            "SELECT COUNT(*) FROM {table} WHERE note::regclass IS NOT NULL",  # the note names a schema "s3cr3t…"
            'psycopg.errors.InvalidSchemaName (SQLSTATE 3F000): schema "…" does not exist',
        ),
        (
            "SELECT chr(ascii(substr(note, 1, 1)) * 100000) FROM {table} WHERE note LIKE '%@%'",
            "psycopg.errors.ProgramLimitExceeded (SQLSTATE 54000): requested character too large for encoding: #",
        ),
        ("SELECT note FROM {table} ORDER BY order_id", NOT_ONE_NUMBER),
        ("SELECT loaded_at FROM {table}", NOT_ONE_NUMBER),
    ],
)
def test_errors_that_quote_a_value_are_stored_redacted(pg, statement, message):
    check = custom_check(pg.own, "probe", statement)
    outcome = check_execute(check)
    assert (outcome.state, outcome.message) == ("error", message)


def test_a_port_without_its_checker_role_does_not_run(pg):
    late = factories.OutputPortFactory(
        product=pg.own.product, name="archive", warehouse=pg.warehouse, table="shop.archive"
    )
    for check in (
        custom_check(late, "archive sql", "SELECT COUNT(*) FROM {table}"),
        factories.QualityCheckFactory(product=late.product, port=late, params={"min_rows": 0}),
    ):
        outcome = check_execute(check)
        assert (outcome.state, outcome.message) == ("error", NO_CHECKER)
    access_services.warehouse_checkers_provision(actor=pg.admin, warehouse=pg.warehouse)
    assert check_execute(custom_check(late, "after", "SELECT COUNT(*) FROM {table}")).state == "passed"


def test_checker_roles_hold_their_ports_table_only_and_follow_changes(pg):
    own, partner = checker_role(pg.own.pk), checker_role(pg.partner.pk)
    schema, function = checker_function(pg.own.pk)
    signature = sql.SQL("{}(text)").format(sql.Identifier(schema, function))

    def can(role, table):
        return pg.fetch("SELECT has_table_privilege(%s, %s, 'SELECT')", [role, table])[0][0]

    assert pg.fetch("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [own]) == [(False,)]
    assert pg.fetch("SELECT pg_has_role(%s, %s, 'MEMBER')", [pg.db.login, own]) == [(True,)]
    assert (can(own, "shop.orders"), can(own, "partner.customers"), can(own, "public.auth_user")) == (
        True,
        False,
        False,
    )
    assert can(partner, "partner.customers") and not can(partner, "shop.orders")
    with pg.db.connect() as conn:
        text = signature.as_string(conn)
    assert pg.fetch(f"SELECT pg_get_userbyid(proowner), prosecdef FROM pg_proc WHERE oid = '{text}'::regprocedure") == [
        (own, True)
    ]
    assert pg.fetch("SELECT has_function_privilege(%s, %s, 'EXECUTE')", [partner, text]) == [(False,)]

    pg.own.table = "shop.archive"
    pg.own.save()
    pg.partner.delete()
    access_services.warehouse_checkers_provision(actor=pg.admin, warehouse=pg.warehouse)
    assert (can(own, "shop.archive"), can(own, "shop.orders")) == (True, False)
    assert not can(partner, "partner.customers")
    gone = sql.SQL("{}(text)").format(sql.Identifier(*checker_function(int(partner[len(pg.prefix) :]))))
    with pg.db.connect() as conn:
        assert conn.execute("SELECT to_regprocedure(%s)", [gone.as_string(conn)]).fetchone() == (None,)


def test_only_portal_admins_provision_through_the_admin_action(pg, client_for, staff):
    url = "/admin/products/warehouse/"
    data = {"action": "provision_checkers", "_selected_action": [pg.warehouse.pk]}
    response = client_for(pg.admin).post(url, data, follow=True)
    assert "Checker roles provisioned: 1." in response.content.decode()
    response = client_for(staff).post(url, data, follow=True)  # staff with every catalog permission, not admin
    assert "Only portal administrators provision warehouses." in response.content.decode()


def test_no_secret_reaches_results_incidents_notifications_history_or_pages(
    pg, client_for, owner, member, analyst, other_owner
):
    factories.WebhookEndpointFactory(event_kinds=["quality.incident.opened"])
    probes = {
        "other product": "SELECT email FROM partner.customers",
        "auth_user": "SELECT COUNT(*) FROM public.auth_user WHERE email LIKE 's%'",
        "passwd": "SELECT length(pg_read_file('/etc/passwd'))",
        "role escape": "SELECT length(set_config('role', 'none', true)) * 0 "
        "+ length(query_to_xml('SELECT email FROM partner.customers', false, false, '')::text)",
        "cast": "SELECT CAST(note AS integer) FROM {table} WHERE note LIKE '%@%'",
        "regclass": "SELECT COUNT(*) FROM {table} WHERE note::regclass IS NOT NULL",
        "text": "SELECT note FROM {table} ORDER BY order_id",
    }
    for name, statement in probes.items():
        custom_check(pg.own, name, statement)
    custom_check(pg.own, "fine", "SELECT COUNT(*) FROM {table}")
    run = run_checks(pg.own.product)
    run.refresh_from_db()
    assert (run.status, run.total, run.failed) == ("done", 8, 7)
    assert CheckResult.objects.get(quality_check__name="fine").observed_value == 3.0
    assert_secret_reaches_nobody(
        client_for,
        pg.own.product,
        readers=[owner, analyst, other_owner],
        recipients=[owner, member],
        expect_incidents=7,
    )


@pytest.fixture
def shared(settings, monkeypatch, product, admin_user):
    """The warehouse is the portal's own database, reached as a role that may read ``auth_user`` (as a portal
    installed beside its warehouse would be)."""
    prefix = pg_support.checker_settings(settings)
    login, schema, portal_db = f"{prefix}login", f"{prefix}shop", connection.settings_dict["NAME"]
    with pg_support.superuser() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE NOSUPERUSER").format(sql.Identifier(login)))
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(portal_db), sql.Identifier(login))
        )
        conn.execute(sql.SQL("GRANT SELECT ON auth_user TO {}").format(sql.Identifier(login)))
    login_dsn = pg_support.dsn(user=login)
    try:
        with psycopg.connect(login_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("CREATE TABLE {} (order_id bigint)").format(sql.Identifier(schema, "orders")))
            conn.execute(sql.SQL("INSERT INTO {} VALUES (1), (2)").format(sql.Identifier(schema, "orders")))
        monkeypatch.setenv(DSN_ENV, login_dsn)
        warehouse = factories.WarehouseFactory(name="portal-db", engine="postgresql", dsn_env=DSN_ENV, path="")
        port = factories.OutputPortFactory(
            product=product, name="orders", warehouse=warehouse, table=f"{schema}.orders"
        )
        access_services.warehouse_checkers_provision(actor=admin_user, warehouse=warehouse)
        yield Setup(port=port, dsn=login_dsn)
    finally:
        with pg_support.superuser() as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(settings.MESH_CHECKER_SCHEMA))
            )
        pg_support.roles_drop(prefix, login)


def test_the_portals_own_tables_are_out_of_reach_when_it_shares_the_database(shared):
    factories.UserFactory(username="victim", email=SECRET)
    with psycopg.connect(shared.dsn) as conn:  # the warehouse user reads the portal's users...
        assert conn.execute("SELECT COUNT(*) FROM auth_user WHERE email = %s", [SECRET]).fetchone() == (1,)
    for statement in (
        "SELECT COUNT(*) FROM auth_user WHERE email LIKE 's%'",
        "SELECT email FROM public.auth_user",
        "SELECT COUNT(*) FROM products_qualitycheck",
    ):
        outcome = check_execute(custom_check(shared.port, statement, statement))  # ...its checks do not
        assert outcome.state == "error" and "InsufficientPrivilege" in outcome.message, outcome.message
        assert not any(part in outcome.message for part in SECRET_PARTS)
    own = check_execute(custom_check(shared.port, "own", "SELECT COUNT(*) FROM {table}"))
    assert (own.state, own.observed_value) == ("passed", 2.0)
