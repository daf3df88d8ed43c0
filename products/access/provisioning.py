"""How an access grant reaches the data platform: a provisioner interface and its two backends.

``PostgresProvisioner`` (for ports whose warehouse is PostgreSQL) keeps, per grantee, a NOLOGIN role named
``<prefix><user id>`` (``MESH_PROVISION_ROLE_PREFIX``, default ``mesh_u_``); a DBA or an identity system grants
that role to the person's login role. Classified columns are hidden behind one masked view per port, in the
dedicated schema ``MESH_MASKED_SCHEMA`` (default ``mesh_masked``), named ``<schema>__<table>__masked``. A grant
without unmasked PII gets SELECT on the view only; one with unmasked PII gets SELECT on the table. Every
statement is idempotent (IF NOT EXISTS, GRANT/REVOKE are no-ops when repeated) and identifiers go through
``psycopg.sql``.

``WebhookProvisioner`` records ``grant.provisioned`` / ``grant.deprovisioned`` through the catalog's outbox
(``products.webhooks``), in the same transaction as the grant's state, with an event key derived from the grant's
state (a second run writes nothing new).
"""

import contextlib
import logging

from django.conf import settings

from products.access.models import AccessGrant
from products.models import OutputPort, Warehouse, WebhookEndpoint
from products.warehouse import WarehouseError, split_table, warehouse_connection
from products.webhooks import webhook_event_record

logger = logging.getLogger(__name__)

MASK_TEXT = "•••"


class ProvisioningError(Exception):
    """A backend could not bring the platform in line with the grant; the message is stored on the grant."""


class Provisioner:
    """Bring one external system in line with one grant. Both methods must be safe to call again."""

    def provision(self, grant: AccessGrant) -> None:
        raise NotImplementedError

    def deprovision(self, grant: AccessGrant) -> None:
        raise NotImplementedError


def role_prefix() -> str:
    return getattr(settings, "MESH_PROVISION_ROLE_PREFIX", "mesh_u_")


def masked_schema() -> str:
    return getattr(settings, "MESH_MASKED_SCHEMA", "mesh_masked")


def grantee_role(user_id: int) -> str:
    return f"{role_prefix()}{int(user_id)}"


def masked_view_name(port: OutputPort) -> tuple[str, str]:
    schema, table = split_table(port.table)
    return masked_schema(), f"{schema or 'public'}__{table}__masked"


class PostgresProvisioner(Provisioner):
    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def _run(self, statements) -> None:
        import psycopg

        try:
            with (
                warehouse_connection(self.warehouse, read_only=False, timeout_ms=30_000) as conn,
                conn.cursor() as cursor,
            ):
                for statement in statements(cursor):
                    cursor.execute(statement)
        except WarehouseError as error:
            raise ProvisioningError(str(error)) from error
        except psycopg.Error as error:
            raise ProvisioningError(str(error).strip().splitlines()[0]) from error

    @staticmethod
    def _ensure_role(cursor, role: str) -> None:
        import psycopg
        from psycopg import sql

        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # A concurrent run may have created it: that is the state we want.
            with contextlib.suppress(psycopg.errors.DuplicateObject):
                cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))

    @staticmethod
    def masked_view_sql(port: OutputPort):
        from psycopg import sql

        schema, table = split_table(port.table)
        view_schema, view = masked_view_name(port)
        columns = []
        for field in port.fields.all():
            column = sql.Identifier(field.name)
            if field.classification:
                columns.append(
                    sql.SQL("CASE WHEN {c} IS NULL THEN NULL ELSE {mask} END::text AS {c}").format(
                        c=column, mask=sql.Literal(MASK_TEXT)
                    )
                )
            else:
                columns.append(column)
        if not columns:
            raise ProvisioningError("The port declares no columns; there is nothing to share.")
        source = sql.Identifier(schema, table) if schema else sql.Identifier(table)
        return sql.SQL("CREATE OR REPLACE VIEW {} AS SELECT {} FROM {}").format(
            sql.Identifier(view_schema, view), sql.SQL(", ").join(columns), source
        )

    def provision(self, grant: AccessGrant) -> None:
        from psycopg import sql

        port = grant.port
        schema, table = split_table(port.table)
        view_schema, view = masked_view_name(port)
        role = sql.Identifier(grantee_role(grant.user_id))
        table_id = sql.Identifier(schema, table) if schema else sql.Identifier(table)
        view_id = sql.Identifier(view_schema, view)

        def statements(cursor):
            self._ensure_role(cursor, grantee_role(grant.user_id))
            yield sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(view_schema))
            yield self.masked_view_sql(port)
            yield sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(view_schema), role)
            if grant.unmasked_pii:
                yield sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema or "public"), role)
                yield sql.SQL("GRANT SELECT ON {} TO {}").format(table_id, role)
                yield sql.SQL("REVOKE SELECT ON {} FROM {}").format(view_id, role)
            else:
                yield sql.SQL("GRANT SELECT ON {} TO {}").format(view_id, role)
                yield sql.SQL("REVOKE SELECT ON {} FROM {}").format(table_id, role)

        self._run(statements)

    def deprovision(self, grant: AccessGrant) -> None:
        from psycopg import sql

        if (
            AccessGrant.objects.filter(user_id=grant.user_id, port_id=grant.port_id, status=AccessGrant.Status.ACTIVE)
            .exclude(pk=grant.pk)
            .exists()
        ):
            return  # a newer grant on the same port holds the privileges now
        port = grant.port
        schema, table = split_table(port.table)
        view_schema, view = masked_view_name(port)
        role_name = grantee_role(grant.user_id)
        role = sql.Identifier(role_name)

        def statements(cursor):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role_name])
            if cursor.fetchone() is None:
                return
            table_id = sql.Identifier(schema, table) if schema else sql.Identifier(table)
            yield sql.SQL("REVOKE SELECT ON {} FROM {}").format(table_id, role)
            cursor.execute("SELECT to_regclass(%s)", [f'"{view_schema}"."{view}"'])
            if cursor.fetchone()[0] is not None:
                yield sql.SQL("REVOKE SELECT ON {} FROM {}").format(sql.Identifier(view_schema, view), role)

        self._run(statements)


def _event_key(grant: AccessGrant) -> str:
    """One event per grant state: a repeated sync of the same state records nothing new."""
    return f"{grant.pk}:{grant.status}:{grant.expires_at.isoformat()}:{int(grant.unmasked_pii)}"


def grant_payload(grant: AccessGrant, kind: str) -> dict:
    port = grant.port
    return {
        "kind": kind,
        "grant": {
            "id": grant.pk,
            "status": grant.status,
            "user": grant.user.username,
            "expires_at": grant.expires_at.isoformat(),
            "unmasked_pii": grant.unmasked_pii,
        },
        "port": {"id": port.pk, "name": port.name, "table": port.table, "product": port.product.urn},
    }


class WebhookProvisioner(Provisioner):
    """Tells every active endpoint that wants the event, through the outbox; delivery happens after commit."""

    def provision(self, grant: AccessGrant) -> None:
        webhook_event_record("grant.provisioned", grant_payload(grant, "grant.provisioned"), key=_event_key(grant))

    def deprovision(self, grant: AccessGrant) -> None:
        kind = "grant.deprovisioned"
        webhook_event_record(kind, grant_payload(grant, kind), key=_event_key(grant))


def provisioners_for(port: OutputPort) -> list[Provisioner]:
    """The backends that apply to ``port``: PostgreSQL first (it can fail), then the outbox (it cannot)."""
    backends: list[Provisioner] = []
    warehouse = port.warehouse
    if warehouse is not None and warehouse.engine == Warehouse.Engine.POSTGRESQL and warehouse.provision_grants:
        if not port.table:
            raise ProvisioningError("The port names no table in its PostgreSQL warehouse.")
        backends.append(PostgresProvisioner(warehouse))
    if WebhookEndpoint.objects.filter(active=True).exists():
        backends.append(WebhookProvisioner())
    return backends
