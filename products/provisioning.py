"""How an access grant reaches the data platform: a provisioner interface and its two backends.

``PostgresProvisioner`` (for ports whose warehouse is PostgreSQL) keeps, per grantee, a NOLOGIN role named
``<prefix><user id>`` (``MESH_PROVISION_ROLE_PREFIX``, default ``mesh_u_``); a DBA or an identity system grants
that role to the person's login role. Classified columns are hidden behind one masked view per port, in the
dedicated schema ``MESH_MASKED_SCHEMA`` (default ``mesh_masked``), named ``<schema>__<table>__masked``. A grant
without unmasked PII gets SELECT on the view only; one with unmasked PII gets SELECT on the table. Every
statement is idempotent (IF NOT EXISTS, GRANT/REVOKE are no-ops when repeated) and identifiers go through
``psycopg.sql``.

``WebhookProvisioner`` writes one ``OutboxEvent`` per interested endpoint, in the same transaction as the grant's
state, with an event id derived from the grant's state (a second run writes nothing new). ``outbox_deliver``
sends an event signed with HMAC-SHA256 (``X-Mesh-Signature: t=<unix time>,v1=<hex of HMAC(secret,
"<t>.<body>")>``, ``X-Mesh-Event-Id``); a failure sets ``next_attempt_at`` with exponential backoff, and the
sweep sends what is due, so nothing is lost while the receiver is down. Receivers dedupe by event id.
"""

import contextlib
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from products.models import AccessGrant, OutboxEvent, OutputPort, Warehouse, WebhookEndpoint
from products.warehouse import WarehouseError, split_table, warehouse_connection

logger = logging.getLogger(__name__)

MASK_TEXT = "•••"
OUTBOX_NAMESPACE = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
CLAIM_LEASE = timedelta(minutes=5)
DELIVERY_TIMEOUT_S = 10


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


def _event_id(endpoint_id: int, kind: str, grant: AccessGrant) -> uuid.UUID:
    state = f"{grant.status}:{grant.expires_at.isoformat()}:{int(grant.unmasked_pii)}"
    return uuid.uuid5(OUTBOX_NAMESPACE, f"{endpoint_id}:{kind}:{grant.pk}:{state}")


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
    """Tells every active endpoint through the outbox; delivery happens after commit, with retries."""

    def __init__(self, endpoints: list[WebhookEndpoint]):
        self.endpoints = endpoints

    def _record(self, grant: AccessGrant, kind: str) -> None:
        from portal.services import task_enqueue_on_commit
        from products.tasks import outbox_event_deliver

        for endpoint in self.endpoints:
            if not endpoint.wants(kind):
                continue
            event, created = OutboxEvent.objects.get_or_create(
                event_id=_event_id(endpoint.pk, kind, grant),
                defaults={"endpoint": endpoint, "kind": kind, "payload": grant_payload(grant, kind)},
            )
            if created:
                task_enqueue_on_commit(outbox_event_deliver, event.pk)

    def provision(self, grant: AccessGrant) -> None:
        self._record(grant, "grant.provisioned")

    def deprovision(self, grant: AccessGrant) -> None:
        self._record(grant, "grant.deprovisioned")


def provisioners_for(port: OutputPort) -> list[Provisioner]:
    """The backends that apply to ``port``: PostgreSQL first (it can fail), then the outbox (it cannot)."""
    backends: list[Provisioner] = []
    warehouse = port.warehouse
    if warehouse is not None and warehouse.engine == Warehouse.Engine.POSTGRESQL and warehouse.provision_grants:
        if not port.table:
            raise ProvisioningError("The port names no table in its PostgreSQL warehouse.")
        backends.append(PostgresProvisioner(warehouse))
    endpoints = list(WebhookEndpoint.objects.filter(active=True))
    if endpoints:
        backends.append(WebhookProvisioner(endpoints))
    return backends


# --- Outbox delivery --------------------------------------------------------------------------------------------


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_valid(secret: str, body: bytes, header: str, *, tolerance_s: int | None = None) -> bool:
    """What a receiver checks (a reference for integrators and the tests)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if tolerance_s is not None and abs(time.time() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature_header(secret, body, timestamp), header)


def backoff_after(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def outbox_deliver(event_pk: int, *, now=None) -> bool:
    """Send one due event. Returns whether it was delivered now.

    The row is claimed by a conditional UPDATE that pushes ``next_attempt_at`` out by a lease, so two workers
    never send it at the same time; success records ``delivered_at``; failure schedules the next attempt."""
    now = now or timezone.now()
    claimed = OutboxEvent.objects.filter(pk=event_pk, delivered_at=None, next_attempt_at__lte=now).update(
        next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    event = OutboxEvent.objects.select_related("endpoint").get(pk=event_pk)
    endpoint = event.endpoint
    if not endpoint.active or not endpoint.url.startswith(("http://", "https://")):
        OutboxEvent.objects.filter(pk=event_pk).update(
            next_attempt_at=now + BACKOFF_MAX, last_error="The endpoint is inactive."
        )
        return False
    body = json.dumps({"id": str(event.event_id), **event.payload}, sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "MeshPortal-Webhooks/1",
            "X-Mesh-Event-Id": str(event.event_id),
            "X-Mesh-Event-Kind": event.kind,
            "X-Mesh-Signature": signature_header(endpoint.secret, body, int(now.timestamp())),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_S) as response:  # noqa: S310
            response.read(1024)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        OutboxEvent.objects.filter(pk=event_pk).update(
            next_attempt_at=now + backoff_after(event.attempts), last_error=str(reason)[:500]
        )
        logger.info("webhook %s to %s failed (attempt %s): %s", event.event_id, endpoint.name, event.attempts, reason)
        return False
    OutboxEvent.objects.filter(pk=event_pk).update(delivered_at=now, last_error="")
    return True


def outbox_deliver_due(*, now=None, batch_size: int = 200) -> int:
    """Send every event that is due (the sweep). Returns how many were delivered."""
    now = now or timezone.now()
    due = list(
        OutboxEvent.objects.filter(delivered_at=None, next_attempt_at__lte=now, endpoint__active=True)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    return sum(1 for pk in due if outbox_deliver(pk, now=now))
