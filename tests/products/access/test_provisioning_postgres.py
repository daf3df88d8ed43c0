"""Against the real PostgreSQL server: one decision per request under concurrency, and grants that really reach
the warehouse (a role per grantee, a masked view, GRANT on approval, REVOKE on revocation)."""

import threading
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from portal.errors import DomainError
from products.access import services as access_services
from products.access.models import AccessGrant, AccessRequest
from products.access.provisioning import grantee_role, masked_view_name
from tests import factories
from tests.products.access.support import clear

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROLE_PREFIX = "t6acc_u_"
MASKED_SCHEMA = "t6acc_masked"
SHOP_SCHEMA = "t6acc_shop"


def _dsn() -> str:
    info = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=info["HOST"] or "127.0.0.1",
        port=info["PORT"] or 5432,
        user=info["USER"],
        password=info["PASSWORD"] or None,
        dbname=info["NAME"],
    )


def _admin_conn():
    return psycopg.connect(_dsn(), autocommit=True)


@pytest.fixture
def pg_warehouse(settings, monkeypatch):
    settings.MESH_PROVISION_ROLE_PREFIX = ROLE_PREFIX
    settings.MESH_MASKED_SCHEMA = MASKED_SCHEMA
    monkeypatch.setenv("MESH_T6ACC_WAREHOUSE_DSN", _dsn())
    with _admin_conn() as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SHOP_SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SHOP_SCHEMA}")
        conn.execute(
            f"CREATE TABLE {SHOP_SCHEMA}.customers (customer_id bigint primary key, email text, "
            "full_name text, country text)"
        )
        conn.execute(
            f"INSERT INTO {SHOP_SCHEMA}.customers VALUES (1, 'jane.doe@example.org', 'Jane Doe', 'DE'), "
            "(2, 'max.roe@example.org', 'Max Roe', 'FR'), (3, NULL, NULL, 'NL')"
        )
    yield factories.WarehouseFactory(name="pg", engine="postgresql", dsn_env="MESH_T6ACC_WAREHOUSE_DSN", path="")
    with _admin_conn() as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SHOP_SCHEMA} CASCADE")
        conn.execute(f"DROP SCHEMA IF EXISTS {MASKED_SCHEMA} CASCADE")
        roles = [
            row[0] for row in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", [ROLE_PREFIX + "%"])
        ]
        for role in roles:  # roles are cluster-wide: leave none behind
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def pg_port(pg_warehouse, product):
    product.classification = "internal"
    product.save(update_fields=["classification"])
    port = factories.OutputPortFactory(
        product=product, name="customers", warehouse=pg_warehouse, table=f"{SHOP_SCHEMA}.customers"
    )
    for position, (name, classification) in enumerate(
        [("customer_id", ""), ("email", "pii"), ("full_name", "pii"), ("country", "")]
    ):
        factories.SchemaFieldFactory(port=port, name=name, classification=classification, position=position)
    return port


def _select_as(role: str, statement: str):
    with _admin_conn() as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        return conn.execute(statement).fetchall()


def _approve(user, port, approver_user, *, pii=False):
    access_request = access_services.access_request_create(
        actor=user, port=port, purpose="Analysis", duration_days=30, wants_unmasked_pii=pii
    )
    access_services.access_request_approve(actor=approver_user, access_request=access_request)
    return AccessGrant.objects.get(request=access_request)


def test_two_approvers_at_once_leave_exactly_one_grant(team, owner, analyst):
    approver_user = factories.UserFactory(username="april")
    factories.MembershipFactory(team=team, user=approver_user, role="approver")
    product = factories.DataProductFactory(owner_team=team, slug="contacts", classification="internal")
    port = factories.OutputPortFactory(product=product, name="contacts")
    access_request = access_services.access_request_create(actor=analyst, port=port, purpose="Report", duration_days=30)
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(user):
        try:
            barrier.wait(timeout=10)
            access_services.access_request_approve(actor=user, access_request=AccessRequest(pk=access_request.pk))
            outcomes.append("approved")
        except DomainError as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(user,)) for user in (owner, approver_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["TransitionNotAllowed", "approved"]
    assert AccessGrant.objects.filter(request_id=access_request.pk).count() == 1
    assert AccessRequest.objects.get(pk=access_request.pk).status == "approved"


def test_grantee_role_selects_masked_view_then_revocation_denies(pg_port, owner, analyst):
    grant = _approve(analyst, pg_port, owner, pii=True)  # no clearance: masked view only
    grant.refresh_from_db()
    assert grant.provisioning_state == "provisioned", grant.provisioning_error
    role = grantee_role(analyst.pk)
    assert role.startswith(ROLE_PREFIX)
    view_schema, view = masked_view_name(pg_port)
    view_sql = f'SELECT customer_id, email, full_name, country FROM "{view_schema}"."{view}" ORDER BY customer_id'
    rows = _select_as(role, view_sql)
    assert rows == [(1, "•••", "•••", "DE"), (2, "•••", "•••", "FR"), (3, None, None, "NL")]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _select_as(role, f"SELECT email FROM {SHOP_SCHEMA}.customers")
    assert access_services.grant_provisioning_sync(grant.pk) == "provisioned"  # idempotent

    access_services.grant_revoke(actor=owner, grant=grant, reason="Done")
    grant.refresh_from_db()
    assert grant.provisioning_state == "deprovisioned", grant.provisioning_error
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        _select_as(role, view_sql)


def test_cleared_grantee_gets_the_table_and_not_the_view(pg_port, owner, analyst):
    clear(analyst)
    grant = _approve(analyst, pg_port, owner, pii=True)
    grant.refresh_from_db()
    assert grant.unmasked_pii and grant.provisioning_state == "provisioned"
    role = grantee_role(analyst.pk)
    rows = _select_as(role, f"SELECT email FROM {SHOP_SCHEMA}.customers ORDER BY customer_id")
    assert rows[0] == ("jane.doe@example.org",)


def test_unreachable_warehouse_marks_the_grant_failed_and_the_sweep_retries(pg_port, owner, analyst, monkeypatch):
    monkeypatch.setenv("MESH_T6ACC_WAREHOUSE_DSN", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    grant = _approve(analyst, pg_port, owner)
    grant.refresh_from_db()
    assert grant.provisioning_state == "failed" and grant.provisioning_error
    monkeypatch.setenv("MESH_T6ACC_WAREHOUSE_DSN", _dsn())
    from products.access.tasks import grants_sync_sweep_task

    assert grants_sync_sweep_task.delay().get() == 0  # it waits out its backoff first
    AccessGrant.objects.filter(pk=grant.pk).update(
        provisioning_retry_at=grant.provisioning_retry_at - timedelta(hours=1)
    )
    assert grants_sync_sweep_task.delay().get() == 1
    grant.refresh_from_db()
    assert grant.provisioning_state == "provisioned" and grant.provisioning_error == ""
