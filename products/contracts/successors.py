"""Shipping a breaking schema at once without breaking anyone: the schema is published as a new port (the next
major version) of the same product, and the old port is deprecated with a sunset at least the notice period away.
Consumers of the old port are told once; when the sunset passes a job retires the old port (its grants are
revoked and deprovisioned, its previews and exports stop, pending requests are refused)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.errors import DomainError, require
from portal.services import audit_record
from products import services as catalog
from products.contracts import permissions
from products.contracts.models import SchemaVersion
from products.contracts.services import NOT_YOURS, consumers_of, consumers_tell, sunset_check
from products.models import DataProduct, OutputPort
from products.signals import port_retired

Status = DataProduct.Status


def _major(version: str) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0


def successor_defaults(port: OutputPort) -> dict:
    """What the form proposes: ``<name>_v<N+1>`` at version ``N+1.0.0``, the same kind, warehouse and text."""
    major = _major(port.version) + 1
    base = port.name.rsplit("_v", 1)[0] if port.name.rsplit("_v", 1)[-1].isdigit() else port.name
    return {
        "name": f"{base}_v{major}"[:100],
        "version": f"{major}.0.0",
        "location": port.location,
        "description": port.description,
        "table": port.table,
    }


def port_successor_publish(
    *,
    actor,
    port: OutputPort,
    name: str,
    fields: list[dict],
    version: str = "",
    sunset_at=None,
    location: str | None = None,
    description: str | None = None,
    table: str | None = None,
    now=None,
) -> OutputPort:
    """Publish ``fields`` at once as a new port of ``port``'s product, and deprecate ``port`` until ``sunset_at``.

    Steps, in one transaction with the product and the old port locked: refuse unless the actor may change the
    product, the product is published (or deprecated) and the port is not already superseded; the version must
    take a new major; the sunset must give the notice period (``sunset_check``, the same rule as a product's
    deprecation); the new port is created through the catalog's ``port_save`` (its first schema version); the old
    port records its successor and sunset; an audit row; on commit, each consumer of the old port is told once
    (inbox, e-mail, one ``port.deprecated`` webhook event)."""
    now = now or timezone.now()
    with transaction.atomic():
        product = DataProduct.objects.select_for_update().get(pk=port.product_id)
        old = OutputPort.objects.select_for_update().get(pk=port.pk)
        require(permissions.can_publish_successor(actor, product), NOT_YOURS)
        if product.status not in (Status.PUBLISHED, Status.DEPRECATED):
            raise DomainError("Only a published product's port is superseded; change a draft's port in place.")
        if old.successor_id or old.sunset_at or old.retired_at:
            raise DomainError(f"Port {old.name} is already deprecated in favour of another port.", field="port")
        defaults = successor_defaults(old)
        version = (version or defaults["version"]).strip()
        if _major(version) <= _major(old.version):
            raise DomainError(
                f"A successor port takes a new major version: {defaults['version']} or later.", field="version"
            )
        if not fields:
            raise DomainError("A successor port needs its columns.", field="fields")
        sunset = sunset_check(sunset_at, now=now)
        name = name.strip()
        if OutputPort.objects.filter(product=product, name=name).exists():
            raise DomainError(f"This product already has a port named “{name}”.", field="name")
        if old.schema_versions.filter(status=SchemaVersion.Status.SCHEDULED).exists():
            raise DomainError(
                f"Port {old.name} has a change waiting for its date; cancel it before publishing a new port.",
                field="port",
            )
        try:
            successor = catalog.port_save(
                actor=actor,
                product=product,
                name=name,
                kind=old.kind,
                warehouse=old.warehouse if table is None or table else None,
                version=version,
                location=old.location if location is None else location,
                description=old.description if description is None else description,
                table=old.table if table is None else table,
                fields=fields,
            )
        except ValidationError as error:  # a name or column the model refuses: a form error, never a 500
            raise _as_domain_error(error) from None
        old.successor, old.sunset_at = successor, sunset
        old.save(update_fields=["successor", "sunset_at"])
        audit_record(
            actor=actor,
            action="port.deprecated",
            target=product,
            from_state=old.version,
            to_state=successor.version,
            data={"port": old.name, "successor": successor.name, "sunset_at": sunset.isoformat()},
        )
        recipients = consumers_of(product, port=old)
        transaction.on_commit(
            lambda: consumers_tell(
                product,
                recipients,
                kind="port.deprecated",
                title=f"{product.name} / {old.name} is deprecated until {sunset:%Y-%m-%d}; use {successor.name}"[:200],
                body=(
                    f"{successor.name} (v{successor.version}) carries the new schema now. {old.name} stays until "
                    f"{sunset:%Y-%m-%d}; then its access grants are revoked. Move before then."
                ),
                key=f"port.deprecated:{old.pk}",
                payload={
                    "port": old.name,
                    "successor": successor.name,
                    "successor_version": successor.version,
                    "sunset_at": sunset.isoformat(),
                },
            )
        )
    return successor


def _as_domain_error(error: ValidationError) -> DomainError:
    if not hasattr(error, "error_dict"):
        return DomainError(" ".join(error.messages))
    field, messages = next(iter(error.message_dict.items()))
    return DomainError(" ".join(messages), field=None if field == "__all__" else field)


def ports_retire_due(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        OutputPort.objects.filter(sunset_at__lte=now, retired_at__isnull=True)
        .order_by("sunset_at", "pk")
        .values_list("pk", flat=True)
    )


def port_retire(port_id: int, *, now=None) -> str:
    """Retire one superseded port whose sunset has passed. Idempotent: a port already retired, not yet due, or
    being retired by another worker is left alone.

    In one transaction with the port locked: the port records its retirement (it serves nothing more,
    ``access.permissions.is_port_served``); ``port_retired`` lets the access package revoke its grants (the
    warehouse REVOKE and webhook follow on commit) and refuse pending requests; an audit row; on commit each
    consumer (subscribers, its former grant holders, downstream owners) is told once with one ``port.retired``
    webhook event. Subscriptions are to the product, which lives on with the successor port: they stay, and the
    notice tells subscribers to read the successor."""
    now = now or timezone.now()
    with transaction.atomic():
        port = (
            OutputPort.objects.select_for_update(skip_locked=True)
            .filter(pk=port_id, retired_at__isnull=True, sunset_at__lte=now)
            .first()
        )
        if port is None:
            return "skipped"
        product = DataProduct.objects.get(pk=port.product_id)
        port.product = product
        recipients = consumers_of(product, port=port)  # before its grants end
        port.retired_at = now
        port.save(update_fields=["retired_at"])
        port_retired.send(sender=OutputPort, port=port, now=now)
        audit_record(
            actor=None,
            action="port.retired",
            target=product,
            data={"port": port.name, "successor": port.successor.name if port.successor_id else None},
        )
        successor = port.successor.name if port.successor_id else None
        transaction.on_commit(
            lambda: consumers_tell(
                product,
                recipients,
                kind="port.retired",
                title=f"{product.name} / {port.name} is retired"[:200],
                body=(
                    "Its access grants are revoked and its previews and exports are closed."
                    + (f" Read {successor} instead." if successor else "")
                ),
                key=f"port.retired:{port.pk}",
                payload={"port": port.name, "successor": successor, "retired_at": now.isoformat()},
            )
        )
    return "retired"
