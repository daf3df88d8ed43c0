"""Every write to the catalog. Each function runs in one transaction and writes an audit row."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from portal.audit_diff import audit_changes, audit_snapshot
from portal.errors import AlreadyExists, DomainError, TransitionNotAllowed, require
from portal.services import audit_record
from products import permissions
from products.models import (
    SCHEMA_COLUMN_KEYS,
    DataProduct,
    LineageEdge,
    OutputPort,
    SchemaField,
    Subscription,
    Tag,
    Team,
)
from products.search import index_batch
from products.signals import (
    port_schema_changed,
    port_schema_validate,
    product_publish_validate,
    product_status_changed,
    product_status_validate,
)
from products.warehouse import WarehouseError, warehouse_table_columns

Status = DataProduct.Status


# Which lifecycle moves are legal: draft → published → deprecated → retired (a deprecation can be undone).
PRODUCT_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.PUBLISHED},
    Status.PUBLISHED: {Status.DEPRECATED},
    Status.DEPRECATED: {Status.PUBLISHED, Status.RETIRED},
    Status.RETIRED: set(),
}


NOT_YOURS = "You may not do this to this product."


PRODUCT_EDITABLE_FIELDS = (
    "name",
    "summary",
    "documentation",
    "classification",
    "accountable",
    "freshness_minutes",
    "completeness_percent",
    "availability_percent",
    "retention_days",
)


def _tags_from_names(names: Iterable[str]) -> list[Tag]:
    slugs = sorted({slugify(name)[:50] for name in names if slugify(name)})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=slugs)}
    missing = [Tag(name=slug) for slug in slugs if slug not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=slugs)}
    return list(existing.values())


@transaction.atomic
def product_create(*, actor, team: Team, slug: str, tags: Iterable[str] = (), **data) -> DataProduct:
    require(permissions.can_create_product_for(actor, team), "You can only create products for your own teams.")
    if DataProduct.objects.filter(domain=team.domain, slug=slug).exists():
        raise AlreadyExists(f"A product with slug “{slug}” already exists in {team.domain}.", field="slug")
    unknown = set(data) - set(PRODUCT_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown product fields: {', '.join(sorted(unknown))}.")
    product = DataProduct(domain=team.domain, owner_team=team, slug=slug, **data)
    product.full_clean()
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise AlreadyExists(f"A product with slug “{slug}” already exists in {team.domain}.", field="slug") from exc
    product.tags.set(_tags_from_names(tags))
    permissions.product_permissions_grant(product, team)
    audit_record(actor=actor, action="product.create", target=product, to_state=product.status)
    return product


@transaction.atomic
def product_update(*, actor, product: DataProduct, tags: Iterable[str] | None = None, owner_team=None, **data):
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    require(permissions.can_edit_product(actor, product), NOT_YOURS)
    if product.status == Status.RETIRED:
        raise DomainError("A retired product can no longer be edited.")
    unknown = set(data) - set(PRODUCT_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown product fields: {', '.join(sorted(unknown))}.")
    changed = sorted(name for name, value in data.items() if getattr(product, name) != value)
    before = _product_snapshot(product, data, tags)
    for name, value in data.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    if owner_team is not None and owner_team.pk != product.owner_team_id:
        # A new owning team is a hand-over, with the hand-over's rules and audit row, whichever door asked.
        product = product_transfer(actor=actor, product=product, team=owner_team)
        changed.append("owner_team")
    if tags is not None:
        product.tags.set(_tags_from_names(tags))
        changed.append("tags")
    changes = audit_changes(before, _product_snapshot(product, data, tags))
    audit_record(actor=actor, action="product.update", target=product, data={"changed": changed, "changes": changes})
    return product


def _product_snapshot(product: DataProduct, data: dict, tags) -> dict:
    extra = {} if tags is None else {"tags": ", ".join(sorted(tag.name for tag in product.tags.all()))}
    return audit_snapshot(product, data, **extra)


def product_quality_score_set(*, product_id: int, score) -> bool:
    """The one door for a product's quality score (a finished check run, pushed results): saved through the model,
    so whoever listens to product changes hears of it (governance re-evaluates the product, e.g. a standard's
    minimum quality score); an unchanged score writes nothing. Returns whether it changed."""
    value = None if score is None else Decimal(str(score)).quantize(Decimal("0.01"))
    with transaction.atomic():
        product = DataProduct.objects.select_for_update().filter(pk=product_id).first()
        if product is None or product.quality_score == value:
            return False
        product.quality_score = value
        product.save(update_fields=["quality_score"])
    return True


def product_transition_check(product: DataProduct, to_status: str) -> None:
    if to_status not in PRODUCT_TRANSITIONS.get(product.status, set()):
        raise TransitionNotAllowed(
            f"A {product.get_status_display().lower()} product cannot become {Status(to_status).label.lower()}."
        )


@transaction.atomic
def product_change_status(
    *, actor, product: DataProduct, to_status: str, comment: str = "", data: dict | None = None
) -> DataProduct:
    """Move a product along its lifecycle (publish, deprecate, retire), refusing illegal moves.

    ``actor`` None is the portal itself (a governance auto-action run by a job): the permission check is for
    people; the transition table, the publish gate and the audit row apply to everyone."""
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    if actor is not None:
        require(permissions.can_change_product_status(actor, product), NOT_YOURS)
    product_transition_check(product, to_status)
    if to_status == Status.PUBLISHED:
        # Apps that set standards refuse here, with the list of failures (governance's publish gate).
        product_publish_validate.send(sender=DataProduct, product=product)
    # Contracts refuse a deprecation without enough notice and a retirement before the sunset (and set it).
    product_status_validate.send(sender=DataProduct, product=product, to_status=to_status, actor=actor, data=data)
    from_status = product.status
    product.status = to_status
    if to_status == Status.PUBLISHED and product.published_at is None:
        product.published_at = timezone.now()
    product.save(update_fields=["status", "published_at", "sunset_at", "updated_at"])
    audit_record(
        actor=actor,
        action=f"product.{to_status}",
        target=product,
        from_state=from_status,
        to_state=to_status,
        comment=comment,
        data=data,
    )
    product_status_changed.send(
        sender=DataProduct, product=product, from_status=from_status, to_status=to_status, actor=actor, data=data
    )
    return product


def product_publish(*, actor, product: DataProduct, comment: str = "") -> DataProduct:
    return product_change_status(actor=actor, product=product, to_status=Status.PUBLISHED, comment=comment)


def product_deprecate(*, actor, product: DataProduct, comment: str = "", sunset_at=None) -> DataProduct:
    return product_change_status(
        actor=actor,
        product=product,
        to_status=Status.DEPRECATED,
        comment=comment,
        data={"sunset_at": sunset_at.isoformat()} if sunset_at else None,
    )


def product_retire(*, actor, product: DataProduct, comment: str = "") -> DataProduct:
    return product_change_status(actor=actor, product=product, to_status=Status.RETIRED, comment=comment)


def port_columns(port: OutputPort) -> list[dict]:
    """A port's columns as stored (read afresh, whatever the caller prefetched), in order, each with every
    ``SCHEMA_COLUMN_KEYS`` key."""
    stored = SchemaField.objects.filter(port_id=port.pk).order_by("position", "id").values(*SCHEMA_COLUMN_KEYS)
    return list(stored) if port.pk else []


def columns_after(before: list[dict], fields: list[dict]) -> list[dict]:
    """The columns ``fields`` proposes: each row over the column of that name as it stands (or the defaults)."""
    current = {column["name"]: column for column in before}
    defaults = {key: SchemaField._meta.get_field(key).get_default() for key in SCHEMA_COLUMN_KEYS}
    return [{**defaults, **current.get(item["name"], {}), **item} for item in fields]


@transaction.atomic
def port_save(
    *, actor, product: DataProduct, port: OutputPort | None = None, fields: list[dict] | None = None, **data
) -> OutputPort:
    """Create or update an output port; when ``fields`` is given it becomes the port's whole schema, in order.

    ``actor`` None is the portal's own job (a scheduled schema change reaching its date). Contracts check the change
    (``port_schema_validate``: breaking changes need a major version, declassifications wait for review) and
    record the version (``port_schema_changed``); they may defer the schema change, which ``port.schema_deferred``
    then describes (``{"version", "effective_at", "message"}``, else None)."""
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    if actor is not None:
        require(permissions.can_edit_product(actor, product), NOT_YOURS)
    if product.status == Status.RETIRED:
        raise DomainError("A retired product can no longer be edited.")
    if port is not None and port.retired_at is not None:
        raise DomainError("This port is retired; its successor carries the schema on.", field="port")
    creating = port is None
    port = port or OutputPort(product=product)
    if port.product_id != product.pk:
        raise DomainError("This port belongs to another product.", field="port")
    before = None if creating else port_columns(port)
    previous_version = None if creating else OutputPort.objects.values_list("version", flat=True).get(pk=port.pk)
    for name, value in data.items():
        setattr(port, name, value)
    port.full_clean(validate_unique=False)
    if OutputPort.objects.filter(product=product, name=port.name).exclude(pk=port.pk).exists():
        raise DomainError(f"This product already has a port named “{port.name}”.", field="name")
    if fields is not None:
        fields = [dict(item) for item in fields]
        names = [item["name"] for item in fields]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise DomainError(f"Field names must be unique in a port: {', '.join(duplicates)}.", field="fields")
    table_columns = _port_table_check(port, previous=None if creating else OutputPort.objects.get(pk=port.pk))
    if table_columns is not None and not fields and not before:
        fields = [
            {"name": c["name"], "data_type": c["type"] or "string", "nullable": c["nullable"]} for c in table_columns
        ]
    after = columns_after(before or [], fields) if fields is not None else before or []
    if table_columns is not None:
        real = {column["name"] for column in table_columns}
        missing = [column["name"] for column in after if column["name"] not in real]
        if missing:
            raise DomainError(
                f"The table {port.table} has no column {', '.join(missing)}: fix the schema or the table.",
                field="fields",
            )
    held: dict = {}
    deferred = None
    for _receiver, answer in port_schema_validate.send(
        sender=OutputPort, port=port, actor=actor, before=before, after=after, previous_version=previous_version
    ):
        held.update((answer or {}).get("hold", {}))
        deferred = deferred or (answer or {}).get("deferred")
    if held and fields is not None:
        for item in fields:
            if item["name"] in held:
                item["classification"] = held[item["name"]]
    port.save()
    # A receiver that took the schema change over (contracts scheduling a breaking change for the end of the
    # notice period) leaves the columns as they are; the front doors tell the user what ``schema_deferred`` says.
    port.schema_deferred = deferred
    if fields is not None and deferred is None:
        with index_batch():
            _port_schema_replace(port, fields)
    stored = port_columns(port)
    audit_record(
        actor=actor,
        action="port.create" if creating else "port.update",
        target=product,
        data={"port": port.name, "version": port.version},
    )
    port_schema_changed.send(
        sender=OutputPort, port=port, actor=actor, before=before, after=stored, previous_version=previous_version
    )
    return port


def _port_table_check(port: OutputPort, *, previous: OutputPort | None) -> list[dict] | None:
    """The columns of the port's warehouse table, read when the port is wired (a warehouse and a table) and its
    wiring is new or changed; None otherwise. Refuses, naming the table, when it does not exist or the portal
    cannot read it, so a port is never saved half-wired."""
    if not port.warehouse_id and not port.table:
        return None
    if not port.warehouse_id or not port.table:
        missing = "warehouse" if not port.warehouse_id else "table"
        raise DomainError(f"A wired port names both a warehouse and a table; pick its {missing}.", field=missing)
    if previous is not None and (previous.warehouse_id, previous.table) == (port.warehouse_id, port.table):
        return None
    try:
        return warehouse_table_columns(port.warehouse, port.table)
    except WarehouseError as error:
        raise DomainError(str(error), field="table") from error


def _port_schema_replace(port: OutputPort, fields: list[dict]) -> None:
    names = [item["name"] for item in fields]
    port.fields.exclude(name__in=names).delete()
    existing = {field.name: field for field in port.fields.all()}
    for position, item in enumerate(fields):
        field = existing.get(item["name"]) or SchemaField(port=port, name=item["name"])
        for key, value in item.items():
            setattr(field, key, value)
        field.position = position
        field.full_clean(exclude=["port"], validate_unique=False)
        field.save()


@transaction.atomic
def port_delete(*, actor, port: OutputPort) -> None:
    """Delete a port nobody has asked access to; a port with access history stays (deprecate the product)."""
    product = DataProduct.objects.select_for_update().get(pk=port.product_id)
    require(permissions.can_edit_product(actor, product), NOT_YOURS)
    if port.access_requests.exists():
        raise DomainError(
            "Access has been requested to this port, so it is kept for the record.", field="port", code="in_use"
        )
    audit_record(actor=actor, action="port.delete", target=product, data={"port": port.name})
    port.delete()


@transaction.atomic
def subscription_create(*, actor, product: DataProduct, purpose: str, team: Team | None = None) -> Subscription:
    """Subscribe the actor (or one of the actor's teams) to a product they can see, with a purpose."""
    require(permissions.can_view_product(actor, product), "You cannot see this product.")
    if product.status not in (Status.PUBLISHED, Status.DEPRECATED):
        raise DomainError("Only published products take new consumers.", field="product")
    if not purpose.strip():
        raise DomainError("Say what you use this product for.", field="purpose")
    if team is not None:
        require(permissions.can_subscribe_team(actor, team), "You can only subscribe your own teams.")
    lookup = {"team": team} if team is not None else {"user": actor}
    subscription, created = Subscription.objects.get_or_create(
        product=product, **lookup, defaults={"purpose": purpose.strip()}
    )
    if not created:
        raise DomainError("Already subscribed.", field="team" if team is not None else "product")
    audit_record(actor=actor, action="subscription.create", target=product, data={"subscription": subscription.pk})
    return subscription


@transaction.atomic
def subscription_delete(*, actor, subscription: Subscription) -> None:
    mine = subscription.user_id == actor.pk or (
        subscription.team_id and permissions.can_subscribe_team(actor, subscription.team)
    )
    require(mine or permissions.can_edit_product(actor, subscription.product), "Not your subscription.")
    audit_record(
        actor=actor,
        action="subscription.delete",
        target=subscription.product,
        data={"subscription": subscription.pk},
    )
    subscription.delete()


def _is_upstream_of(candidate_id: int, product_id: int, max_depth: int = 50) -> bool:
    """Whether ``candidate`` already reads (directly or not) from ``product``: adding the edge would close a loop."""
    frontier, seen = {candidate_id}, set()
    for _ in range(max_depth):
        if product_id in frontier:
            return True
        seen |= frontier
        frontier = (
            set(
                LineageEdge.objects.filter(product_id__in=frontier, upstream__isnull=False).values_list(
                    "upstream_id", flat=True
                )
            )
            - seen
        )
        if not frontier:
            return False
    return False


@transaction.atomic
def lineage_add(
    *,
    actor,
    product: DataProduct,
    upstream: DataProduct | None = None,
    external_source: str = "",
    description: str = "",
) -> LineageEdge:
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    require(permissions.can_edit_product(actor, product), NOT_YOURS)
    external_source = external_source.strip()
    if bool(upstream) == bool(external_source):
        raise DomainError("Give either an upstream product or an external source.", field="upstream")
    if upstream is not None:
        require(permissions.can_view_product(actor, upstream), "You cannot see that product.")
        if upstream.pk == product.pk:
            raise DomainError("A product cannot read from itself.", field="upstream")
        if _is_upstream_of(upstream.pk, product.pk):
            raise DomainError(f"{upstream} already reads from {product}; that would make a loop.", field="upstream")
    edge, created = LineageEdge.objects.get_or_create(
        product=product,
        upstream=upstream,
        external_source=external_source,
        defaults={"description": description},
    )
    if not created:
        raise DomainError("This input is already recorded.", field="upstream")
    audit_record(actor=actor, action="lineage.add", target=product, data={"edge": str(edge)})
    return edge


@transaction.atomic
def lineage_remove(*, actor, edge: LineageEdge) -> None:
    require(permissions.can_edit_product(actor, edge.product), NOT_YOURS)
    audit_record(actor=actor, action="lineage.remove", target=edge.product, data={"edge": str(edge)})
    edge.delete()


@transaction.atomic
def product_transfer(*, actor, product: DataProduct, team: Team, comment: str = "") -> DataProduct:
    """Hand ``product`` to another team of its domain: the new team's group receives the edit and publish object
    permissions and the old team's group loses them, in one transaction, with an audit row naming both teams."""
    product = DataProduct.objects.select_for_update().select_related("owner_team").get(pk=product.pk)
    require(permissions.can_transfer_product(actor, product), "Only an owner of the owning team hands a product on.")
    if team.pk == product.owner_team_id:
        raise DomainError(f"{team} already owns {product}.", field="team")
    if team.domain_id != product.domain_id:
        raise DomainError(f"{team} belongs to another domain: a product moves within its domain.", field="team")
    if product.status == Status.RETIRED:
        raise DomainError("A retired product is not handed on.", field="team")
    previous = product.owner_team
    product.owner_team = team
    product.save(update_fields=["owner_team", "updated_at"])
    permissions.product_permissions_revoke(product, previous)
    permissions.product_permissions_grant(product, team)
    audit_record(
        actor=actor,
        action="product.transfer",
        target=product,
        from_state=previous.slug,
        to_state=team.slug,
        comment=comment,
    )
    return product
