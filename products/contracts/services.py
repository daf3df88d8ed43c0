"""Every write to a port's contract: schema versions (recorded, scheduled, applied, cancelled), declassification
reviews, and the notices consumers get. Each runs in one transaction and writes an audit row."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.errors import DomainError, TransitionNotAllowed, require
from portal.services import audit_record, notify
from products import services as catalog
from products.access.models import AccessGrant
from products.contracts import permissions
from products.contracts.changes import (
    ADDITIVE,
    BREAKING,
    PATCH,
    Change,
    change_level,
    classification_lowered,
    schema_diff,
    schema_normalise,
    version_next,
    version_problem,
)
from products.contracts.models import Declassification, SchemaVersion
from products.contracts.notice import notice_days
from products.models import DataProduct, LineageEdge, Membership, OutputPort, SchemaField
from products.webhooks import webhook_event_record

Status = DataProduct.Status
NOT_YOURS = "You may not do this to this product."


# --- who hears of a change -------------------------------------------------------------------------------------


def consumers_of(product: DataProduct, *, port: OutputPort | None = None) -> list[int]:
    """Ids of everyone who builds on ``product``: subscribers (people, and members of subscribed teams), holders
    of active grants on its ports (on ``port`` alone when given), and the owners of products downstream of it in
    the lineage. The owning team is never its own consumer."""
    subscriptions = product.subscriptions.all()
    grants = AccessGrant.objects.filter(port__product=product, status=AccessGrant.Status.ACTIVE)
    if port is not None:
        grants = grants.filter(port=port)
    users = set(subscriptions.filter(user__isnull=False).values_list("user_id", flat=True))
    users |= set(
        Membership.objects.filter(team__in=subscriptions.filter(team__isnull=False).values("team")).values_list(
            "user_id", flat=True
        )
    )
    users |= set(grants.values_list("user_id", flat=True))
    downstream_teams = LineageEdge.objects.filter(upstream=product).values("product__owner_team")
    users |= set(
        Membership.objects.filter(team__in=downstream_teams, role=Membership.Role.OWNER).values_list(
            "user_id", flat=True
        )
    )
    team_ids = set(Membership.objects.filter(team=product.owner_team).values_list("user_id", flat=True))
    active = get_user_model().objects.filter(pk__in=users - team_ids, is_active=True)
    return sorted(active.values_list("pk", flat=True))


def _changes_text(changes: list[dict]) -> str:
    return "\n".join(f"- [{change['level']}] {change['detail']}" for change in changes)


def consumers_tell(
    product: DataProduct, recipients, *, kind: str, title: str, body: str, key: str, payload: dict
) -> None:
    """One inbox notice (and e-mail) to each consumer, and one outbox event per webhook endpoint; ``key`` names
    the occurrence, so telling twice tells once."""
    notify(recipients, kind=kind, title=title, body=body, url=product.get_absolute_url(), dedupe_key=f"contracts:{key}")
    webhook_event_record(kind, {"product": product.urn, **payload}, key=key)


def _schema_change_announce(version: SchemaVersion) -> None:
    port, product = version.port, version.port.product
    when = "now" if version.status == SchemaVersion.Status.APPLIED else f"on {version.effective_at:%Y-%m-%d}"
    consumers_tell(
        product,
        consumers_of(product),
        kind="port.schema_changed",
        title=f"{product.name} / {port.name}: {version.get_level_display().lower()} change to v{version.version}"[:200],
        body=f"Takes effect {when}.\n{_changes_text(version.changes)}",
        key=f"schema:{port.pk}:{version.version}",
        payload={
            "port": port.name,
            "version": version.version,
            "level": version.level,
            "changes": version.changes,
            "effective_at": version.effective_at.isoformat(),
        },
    )


# --- recording versions (answers the catalog's port_save) ------------------------------------------------------


def schema_change_check(*, port: OutputPort, actor, before, after, previous_version) -> dict:
    """Before a port's schema is written: hold declassifications for review, and refuse a breaking change to a
    product consumers may use unless the version takes a new major. An unchanged version moves on by itself for
    additive and patch changes (and for any change to a draft, which nobody consumes yet)."""
    if before is None:
        return {}
    hold = _declassifications_hold(port=port, actor=actor, before=before, after=after)
    effective = [
        {**column, "classification": hold.get(column["name"], column.get("classification", ""))} for column in after
    ]
    changes = schema_diff(before, effective)
    if not changes:
        return {"hold": hold}
    level = change_level(changes)
    if port.product.status == Status.DRAFT:
        if port.version == previous_version:
            port.version = version_next(previous_version, PATCH)
        return {"hold": hold}
    if port.version == previous_version and level != BREAKING:
        port.version = version_next(previous_version, level)
    problem = version_problem(previous_version, port.version, changes)
    if problem:
        raise DomainError(problem, field="version")
    if breaking_change_waits(port=port, actor=actor, level=level):
        scheduled = _schedule_record(actor=actor, port=port, after=effective, version=port.version, changes=changes)
        port.version = previous_version  # the port keeps its version (and its schema) until the date
        return {"hold": hold, "deferred": _deferred(scheduled)}
    return {"hold": hold}


def breaking_change_waits(*, port: OutputPort, actor, level: str) -> bool:
    """The one rule for when a breaking change is not applied in place: a person's breaking change to a port of a
    published (or deprecated) product that someone consumes waits for the end of the notice period. The portal's
    own job applying a scheduled change, a draft, or a port nobody consumes changes at once. The other way to
    ship a breaking schema at once is a new port (``successors.port_successor_publish``)."""
    if actor is None or level != BREAKING or port.pk is None:
        return False
    if port.product.status not in (Status.PUBLISHED, Status.DEPRECATED):
        return False
    return bool(consumers_of(port.product, port=port))


def _deferred(scheduled: SchemaVersion) -> dict:
    """What a front door tells the person whose change was scheduled rather than applied."""
    return {
        "id": scheduled.pk,
        "version": scheduled.version,
        "effective_at": scheduled.effective_at,
        "message": (
            f"The breaking change to v{scheduled.version} waits for the notice period: it takes effect on "
            f"{scheduled.effective_at:%Y-%m-%d}; consumers have been told."
        ),
    }


def _declassifications_hold(*, port: OutputPort, actor, before, after) -> dict:
    """Columns whose classification ``after`` lowers keep their current one; each gets a pending review."""
    old = {column["name"]: column for column in schema_normalise(before)}
    hold = {}
    for column in schema_normalise(after):
        previous = old.get(column["name"])
        if previous is None or not classification_lowered(previous["classification"], column["classification"]):
            continue
        hold[column["name"]] = previous["classification"]
        field = port.fields.get(name=column["name"])
        declassification_request(
            actor=actor, field=field, to_classification=column["classification"], from_port_save=True
        )
    return hold


def schema_version_record(*, port: OutputPort, actor, before, after, previous_version) -> SchemaVersion | None:
    """After a port's schema is written: one immutable version per change, and consumers told of anything that is
    not a patch. A scheduled version being applied by its job is already recorded."""
    if SchemaVersion.objects.filter(port=port, version=port.version).exclude(status="cancelled").exists():
        return None
    changes = [] if before is None else schema_diff(before, after)
    if before is not None and not changes:
        return None
    level = SchemaVersion.Level.INITIAL if before is None else change_level(changes)
    version = SchemaVersion.objects.create(
        port=port,
        version=port.version,
        schema=schema_normalise(after),
        level=level,
        changes=[change.as_dict() for change in changes],
        summary=_summary(changes) if changes else "First version.",
        author=actor,
    )
    audit_record(
        actor=actor,
        action="port.schema_change",
        target=port.product,
        from_state=previous_version or "",
        to_state=port.version,
        data={"port": port.name, "level": level, "changes": [change.as_dict() for change in changes]},
    )
    if port.product.status != Status.DRAFT and level in (BREAKING, ADDITIVE):
        transaction.on_commit(lambda: _schema_change_announce(version))
    return version


def _summary(changes: list[Change]) -> str:
    counts: dict = {}
    for change in changes:
        counts[change.level] = counts.get(change.level, 0) + 1
    return ", ".join(f"{count} {level}" for level, count in counts.items())[:500]


# --- scheduled changes ---------------------------------------------------------------------------------------------


@transaction.atomic
def schema_change_schedule(
    *, actor, port: OutputPort, fields: list[dict], version: str, summary: str = "", now=None
) -> SchemaVersion:
    """Schedule a change to a port consumers use for the end of the notice period; a job applies it then."""
    now = now or timezone.now()
    product = DataProduct.objects.select_for_update().get(pk=port.product_id)
    require(permissions.can_schedule_schema_change(actor, product), NOT_YOURS)
    if product.status not in (Status.PUBLISHED, Status.DEPRECATED):
        raise DomainError("Only a change to a published product waits for a notice period; save it directly.")
    before = catalog.port_columns(port)
    after = schema_normalise(catalog.columns_after(before, fields))
    changes = schema_diff(before, after)
    if not changes:
        raise DomainError("These columns are the port's current schema: nothing to schedule.", field="fields")
    problem = version_problem(port.version, version, changes)
    if problem:
        raise DomainError(problem, field="version")
    if version == port.version:
        raise DomainError(f"A scheduled change needs a new version (e.g. {version_next(version, BREAKING)}).")
    return _schedule_record(
        actor=actor, port=port, after=after, version=version, changes=changes, summary=summary, now=now
    )


def _schedule_record(
    *, actor, port: OutputPort, after: list[dict], version: str, changes: list[Change], summary: str = "", now=None
) -> SchemaVersion:
    """Record a checked change as waiting for the end of the notice period, and tell consumers on commit. The
    caller holds the product row locked."""
    now = now or timezone.now()
    if SchemaVersion.objects.filter(port=port, status=SchemaVersion.Status.SCHEDULED).exists():
        raise DomainError("This port already has a change waiting for its date; cancel it first.", field="version")
    current = OutputPort.objects.values_list("version", flat=True).get(pk=port.pk)
    scheduled = SchemaVersion.objects.create(
        port_id=port.pk,
        version=version,
        schema=schema_normalise(after),
        level=change_level(changes),
        changes=[change.as_dict() for change in changes],
        summary=(summary or _summary(changes))[:500],
        status=SchemaVersion.Status.SCHEDULED,
        author=actor,
        created_at=now,
        effective_at=now + timedelta(days=notice_days()),
    )
    audit_record(
        actor=actor,
        action="port.schema_schedule",
        target=port.product,
        from_state=current,
        to_state=version,
        data={"port": port.name, "effective_at": scheduled.effective_at.isoformat()},
    )
    transaction.on_commit(lambda: _schema_change_announce(scheduled))
    return scheduled


@transaction.atomic
def schema_change_cancel(*, actor, version: SchemaVersion) -> SchemaVersion:
    version = SchemaVersion.objects.select_for_update().select_related("port__product").get(pk=version.pk)
    require(permissions.can_cancel_schema_change(actor, version), NOT_YOURS)
    if version.status != SchemaVersion.Status.SCHEDULED:
        raise TransitionNotAllowed("Only a change still waiting for its date can be cancelled.")
    version.status = SchemaVersion.Status.CANCELLED
    version.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="port.schema_cancel",
        target=version.port.product,
        data={"port": version.port.name, "version": version.version},
    )
    return version


def schema_change_apply(version_id: int, *, now=None) -> str:
    """Apply one scheduled change whose date has come. Idempotent: a change already applied or cancelled is left
    alone; a change the catalog now refuses (a retired product) is cancelled with a note to its author."""
    now = now or timezone.now()
    with transaction.atomic():
        version = (
            SchemaVersion.objects.select_for_update(skip_locked=True)
            .select_related("port__product")
            .filter(pk=version_id, status=SchemaVersion.Status.SCHEDULED, effective_at__lte=now)
            .first()
        )
        if version is None:
            return "skipped"
        port = version.port
        try:
            with transaction.atomic():
                version.status = SchemaVersion.Status.APPLIED
                version.save(update_fields=["status"])
                catalog.port_save(
                    actor=None,
                    product=port.product,
                    port=port,
                    fields=version.schema,
                    version=version.version,
                )
        except DomainError as error:
            version.status = SchemaVersion.Status.CANCELLED
            version.save(update_fields=["status"])
            if version.author_id:
                notify(
                    [version.author_id],
                    kind="port.schema_cancelled",
                    title=f"{port.product.name} / {port.name}: the change to v{version.version} was not applied",
                    body=str(error),
                    url=port.product.get_absolute_url(),
                )
            return "cancelled"
    return "applied"


def schema_changes_due(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        SchemaVersion.objects.filter(status=SchemaVersion.Status.SCHEDULED, effective_at__lte=now)
        .order_by("effective_at", "pk")
        .values_list("pk", flat=True)
    )


# --- declassification --------------------------------------------------------------------------------------------


def declassification_request(
    *, actor, field: SchemaField, to_classification: str, reason: str = "", from_port_save: bool = False
) -> Declassification:
    """Ask to lower ``field``'s classification. One pending request per column: a new ask replaces the target."""
    product = field.port.product
    if not from_port_save:
        require(catalog.permissions.can_edit_product(actor, product), NOT_YOURS)
    if not classification_lowered(field.classification, to_classification):
        raise DomainError("Only a lower classification needs a review; raise it in the port editor.", field="to")
    with transaction.atomic():
        pending = Declassification.objects.select_for_update().filter(field=field, status="pending").first()
        if pending is not None:
            pending.to_classification = to_classification
            pending.reason = reason or pending.reason
            pending.save(update_fields=["to_classification", "reason"])
            return pending
        request = Declassification.objects.create(
            field=field,
            from_classification=field.classification,
            to_classification=to_classification,
            reason=reason,
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            action="declassification.request",
            target=product,
            from_state=field.classification,
            to_state=to_classification,
            data={"port": field.port.name, "column": field.name},
        )
    transaction.on_commit(lambda: _reviewers_tell(request))
    return request


def _reviewers_tell(request: Declassification) -> None:
    reviewers = permissions.declassification_reviewers(request)
    field = request.field
    notify(
        reviewers,
        kind="declassification.requested",
        title=f"Review: lower {field.port.product.name} / {field.port.name}.{field.name} to "
        f"{request.get_to_classification_display().lower()}",
        body=request.reason,
        url=reverse("products:declassification-list"),
        dedupe_key=f"declassification:{request.pk}",
    )


@transaction.atomic
def declassification_decide(
    *, actor, declassification: Declassification, approve: bool, comment: str = "", now=None
) -> Declassification:
    """Approve (the column takes the lower classification, recorded as a new major version of its port) or
    reject. The requester never decides their own request."""
    now = now or timezone.now()
    request = (
        Declassification.objects.select_for_update().select_related("field__port__product").get(pk=declassification.pk)
    )
    require(
        permissions.can_review_declassification(actor, request),
        "A declassification needs a steward or data-protection officer other than the person who asked.",
    )
    if request.status != Declassification.Status.PENDING:
        raise TransitionNotAllowed(f"This request is already {request.get_status_display().lower()}.")
    request.status = Declassification.Status.APPROVED if approve else Declassification.Status.REJECTED
    request.decided_by, request.decided_at, request.decision_comment = actor, now, comment[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    field = request.field
    audit_record(
        actor=actor,
        action=f"declassification.{request.status}",
        target=field.port.product,
        from_state=request.from_classification,
        to_state=request.to_classification,
        data={"port": field.port.name, "column": field.name},
    )
    if approve:
        _declassification_apply(request)
    if request.requested_by_id:
        notify(
            [request.requested_by_id],
            kind=f"declassification.{request.status}",
            title=f"{field.port.product.name} / {field.port.name}.{field.name}: declassification {request.status}",
            body=comment,
            url=field.port.product.get_absolute_url(),
        )
    return request


def _declassification_apply(request: Declassification) -> None:
    """The column takes the lower classification; a lowered classification is a breaking change, so the port
    moves to its next major version (a draft's to its next patch) and consumers are told."""
    port = OutputPort.objects.select_related("product").get(pk=request.field.port_id)
    before = catalog.port_columns(port)
    SchemaField.objects.filter(pk=request.field_id).update(classification=request.to_classification)
    previous = port.version
    port.version = version_next(previous, PATCH if port.product.status == Status.DRAFT else BREAKING)
    port.save(update_fields=["version"])
    schema_version_record(
        port=port,
        actor=request.decided_by,
        before=before,
        after=catalog.port_columns(port),
        previous_version=previous,
    )


@transaction.atomic
def declassification_withdraw(*, actor, declassification: Declassification) -> Declassification:
    request = (
        Declassification.objects.select_for_update().select_related("field__port__product").get(pk=declassification.pk)
    )
    require(permissions.can_withdraw_declassification(actor, request), NOT_YOURS)
    if request.status != Declassification.Status.PENDING:
        raise TransitionNotAllowed(f"This request is already {request.get_status_display().lower()}.")
    request.status = Declassification.Status.WITHDRAWN
    request.save(update_fields=["status"])
    return request


# --- lifecycle: notice, sunset, retirement ---------------------------------------------------------------------------


def _as_datetime(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def sunset_check(value, *, now=None) -> datetime:
    """The sunset of a deprecation (a product's or a superseded port's): at least the notice period away, the
    earliest allowed when none is given."""
    now = now or timezone.now()
    days = notice_days()
    earliest = now + timedelta(days=days)
    try:
        sunset = _as_datetime(value)
    except ValueError:
        raise DomainError("Enter the sunset as a date.", field="sunset_at") from None
    if sunset is None:
        return earliest
    if sunset < earliest - timedelta(minutes=1):
        raise DomainError(
            f"Consumers get {days} days' notice: the sunset can be {earliest:%Y-%m-%d} at the earliest.",
            field="sunset_at",
        )
    return sunset


def product_status_check(*, product: DataProduct, to_status: str, data: dict | None, now=None) -> None:
    """A deprecation sets a sunset at least the notice period away (the earliest one when none is given); a
    retirement waits for the sunset; undoing a deprecation clears it."""
    now = now or timezone.now()
    if to_status == Status.DEPRECATED:
        product.sunset_at = sunset_check((data or {}).get("sunset_at"), now=now)
    elif to_status == Status.RETIRED:
        if product.sunset_at is None or product.sunset_at > now:
            when = f"{product.sunset_at:%Y-%m-%d}" if product.sunset_at else "a sunset date set by a deprecation"
            raise DomainError(f"Consumers were promised the product until {when}; retire it after that.")
    elif to_status == Status.PUBLISHED and product.status == Status.DEPRECATED:
        product.sunset_at = None


def product_status_announce(*, product: DataProduct, to_status: str) -> None:
    """Consumers hear of a deprecation (with the sunset) and of a retirement; a retirement ends subscriptions."""
    if to_status == Status.DEPRECATED:
        kind, title = "product.deprecated", f"{product.name} is deprecated until {product.sunset_at:%Y-%m-%d}"
        body = f"It will be retired after {product.sunset_at:%Y-%m-%d}. Move to its successor before then."
    elif to_status == Status.RETIRED:
        kind, title = "product.retired", f"{product.name} is retired"
        body = "Its access grants are revoked, previews and exports are closed, and subscriptions have ended."
    else:
        return
    recipients = consumers_of(product)  # before subscriptions end
    payload = {"status": to_status, "sunset_at": product.sunset_at.isoformat() if product.sunset_at else None}
    key = f"{kind}:{product.pk}:{product.sunset_at.isoformat() if product.sunset_at else ''}"

    transaction.on_commit(
        lambda: consumers_tell(product, recipients, kind=kind, title=title, body=body, key=key, payload=payload)
    )
    if to_status == Status.RETIRED:
        product.subscriptions.all().delete()
