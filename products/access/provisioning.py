"""How an access grant reaches the data platform: a provisioner interface and its two backends.

``PostgresProvisioner`` (for ports whose warehouse is PostgreSQL) keeps, per grantee, a NOLOGIN role named
``<prefix><user id>`` (``MESH_PROVISION_ROLE_PREFIX``, default ``mesh_u_``); a DBA or an identity system grants
that role to the person's login role. Classified columns are hidden behind one masked view per port, in the
dedicated schema ``MESH_MASKED_SCHEMA`` (default ``mesh_masked``), named ``<schema>__<table>__masked``. A grant
without unmasked PII gets SELECT on the view only; one with unmasked PII gets SELECT on the table. Every
statement is idempotent (IF NOT EXISTS, GRANT/REVOKE are no-ops when repeated) and identifiers go through
``psycopg.sql``.

Quality checks have their own roles: ``PostgresProvisioner.checkers_sync`` gives each connected port of a warehouse
a NOLOGIN *checker* role (``products.warehouse.checker_role``, ``MESH_CHECKER_ROLE_PREFIX``, default
``mesh_checker_<port id>``) that may SELECT that port's table and nothing else, granted to the warehouse's
connecting user so the runner can ``SET ROLE`` to it, plus a SECURITY DEFINER function owned by the checker in the
schema ``MESH_CHECKER_SCHEMA`` (default ``mesh_checks``) through which custom SQL runs. Privileges and functions of
checkers whose port left the warehouse or changed table are taken back.

``WebhookProvisioner`` records ``grant.provisioned`` / ``grant.deprovisioned`` through the catalog's outbox
(``products.webhooks``), in the same transaction as the grant's state, with an event key derived from the grant's
state (a second run writes nothing new).
"""

import contextlib
import logging

from django.conf import settings

from products.access.models import AccessGrant
from products.models import OutputPort, Warehouse, WebhookEndpoint
from products.warehouse import (
    WarehouseError,
    checker_function,
    checker_role,
    checker_role_prefix,
    checker_schema,
    split_table,
    warehouse_connection,
)
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

    # Runs one check's SQL as its owner, the checker role. Inside a SECURITY DEFINER function PostgreSQL refuses
    # to change the role (``set_config('role', …)``), so the statement cannot take back the connecting user's
    # rights; FOR … IN EXECUTE opens a cursor, so it runs exactly one query. Returns the first row as JSON.
    CHECKER_FUNCTION_BODY = """
DECLARE
    first_row record;
BEGIN
    FOR first_row IN EXECUTE statement LOOP
        RETURN row_to_json(first_row)::text;
    END LOOP;
    RETURN NULL;
END
"""

    def checkers_sync(self, ports, *, elsewhere: frozenset[str] = frozenset()) -> list[str]:
        """Give each of ``ports`` (this warehouse's ports) its checker role and function, and take back from every
        other checker role what it holds here, except the roles named in ``elsewhere`` (ports of other
        warehouses, which may share this database). Returns the checker roles provisioned."""
        from psycopg import sql

        ports = [port for port in ports if port.table]
        wanted = {}  # (schema, table) per checker role
        for port in ports:
            schema, table = split_table(port.table)
            wanted[checker_role(port.pk)] = (schema or "public", table)
        function_schema = sql.Identifier(checker_schema())

        def statements(cursor):
            yield sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(function_schema)
            for port in ports:
                role_name = checker_role(port.pk)
                role = sql.Identifier(role_name)
                schema, table = wanted[role_name]
                function = sql.Identifier(*checker_function(port.pk))
                self._ensure_role(cursor, role_name)
                yield sql.SQL("GRANT {} TO CURRENT_USER").format(role)  # so the runner may SET ROLE to it
                yield sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role)
                yield sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(schema, table), role)
                # The function's owner needs CREATE on its schema at the moment it becomes the owner, no longer.
                yield sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(function_schema, role)
                yield sql.SQL(
                    "CREATE OR REPLACE FUNCTION {}(statement text) RETURNS text LANGUAGE plpgsql VOLATILE "
                    "SECURITY DEFINER AS {}"
                ).format(function, sql.Literal(self.CHECKER_FUNCTION_BODY))
                yield sql.SQL("ALTER FUNCTION {}(text) OWNER TO {}").format(function, role)
                yield sql.SQL("REVOKE ALL ON FUNCTION {}(text) FROM PUBLIC").format(function)
                yield sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(function_schema, role)
            yield from self._checkers_stale(cursor, wanted, elsewhere)

        self._run(statements)
        return sorted(wanted)

    @staticmethod
    def _is_checker(role_name: str) -> bool:
        prefix = checker_role_prefix()
        return role_name.startswith(prefix) and role_name[len(prefix) :].isdigit()

    def _checkers_stale(self, cursor, wanted: dict, elsewhere: frozenset[str]):
        """REVOKE what checker roles hold here beyond their port's table and schema; DROP functions of checkers
        whose port is not in this warehouse any more."""
        from psycopg import sql

        def stale(role_name: str) -> bool:
            return self._is_checker(role_name) and role_name not in elsewhere

        cursor.execute(
            "SELECT n.nspname, c.relname, r.rolname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE a.privilege_type = 'SELECT'"
        )
        for schema, table, role_name in cursor.fetchall():
            if stale(role_name) and wanted.get(role_name) != (schema, table):
                yield sql.SQL("REVOKE SELECT ON {} FROM {}").format(
                    sql.Identifier(schema, table), sql.Identifier(role_name)
                )
        cursor.execute(
            "SELECT n.nspname, r.rolname FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a "
            "JOIN pg_roles r ON r.oid = a.grantee WHERE a.privilege_type = 'USAGE'"
        )
        for schema, role_name in cursor.fetchall():
            kept = role_name in wanted and schema in (checker_schema(), wanted[role_name][0])
            if stale(role_name) and not kept:
                yield sql.SQL("REVOKE USAGE ON SCHEMA {} FROM {}").format(
                    sql.Identifier(schema), sql.Identifier(role_name)
                )
        cursor.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
            [checker_schema()],
        )
        for (name,) in cursor.fetchall():
            if stale(name) and name not in wanted:
                yield sql.SQL("DROP FUNCTION IF EXISTS {}(text)").format(sql.Identifier(checker_schema(), name))


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
