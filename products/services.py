"""Every write to the catalog. Each function runs in one transaction and writes an audit row."""

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from portal.errors import DomainError, TransitionNotAllowed, require
from portal.services import audit_record, notify, task_enqueue_on_commit
from products import permissions
from products.models import (
    AccessApproval,
    AccessGrant,
    AccessRequest,
    Clearance,
    DataProduct,
    LineageEdge,
    Membership,
    OutputPort,
    SchemaField,
    Subscription,
    Tag,
    Team,
)
from products.search import index_batch
from products.signals import product_publish_validate

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
        raise DomainError(f"A product with slug “{slug}” already exists in {team.domain}.", field="slug")
    unknown = set(data) - set(PRODUCT_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown product fields: {', '.join(sorted(unknown))}.")
    product = DataProduct(domain=team.domain, owner_team=team, slug=slug, **data)
    product.full_clean()
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise DomainError(f"A product with slug “{slug}” already exists in {team.domain}.", field="slug") from exc
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
    for name, value in data.items():
        setattr(product, name, value)
    previous_team = product.owner_team
    if owner_team is not None and owner_team.pk != previous_team.pk:
        require(
            permissions.can_create_product_for(actor, owner_team),
            "You can only hand a product to a team you belong to.",
        )
        if owner_team.domain_id != product.domain_id:
            raise DomainError(f"{owner_team} belongs to another domain.", field="owner_team")
        product.owner_team = owner_team
        changed.append("owner_team")
    product.full_clean()
    product.save()
    if owner_team is not None and owner_team.pk != previous_team.pk:
        permissions.product_permissions_revoke(product, previous_team)
        permissions.product_permissions_grant(product, owner_team)
    if tags is not None:
        product.tags.set(_tags_from_names(tags))
        changed.append("tags")
    audit_record(actor=actor, action="product.update", target=product, data={"changed": changed})
    return product


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
    from_status = product.status
    product.status = to_status
    if to_status == Status.PUBLISHED and product.published_at is None:
        product.published_at = timezone.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action=f"product.{to_status}",
        target=product,
        from_state=from_status,
        to_state=to_status,
        comment=comment,
        data=data,
    )
    return product


def product_publish(*, actor, product: DataProduct, comment: str = "") -> DataProduct:
    return product_change_status(actor=actor, product=product, to_status=Status.PUBLISHED, comment=comment)


def product_deprecate(*, actor, product: DataProduct, comment: str = "") -> DataProduct:
    return product_change_status(actor=actor, product=product, to_status=Status.DEPRECATED, comment=comment)


def product_retire(*, actor, product: DataProduct, comment: str = "") -> DataProduct:
    return product_change_status(actor=actor, product=product, to_status=Status.RETIRED, comment=comment)


@transaction.atomic
def port_save(
    *, actor, product: DataProduct, port: OutputPort | None = None, fields: list[dict] | None = None, **data
) -> OutputPort:
    """Create or update an output port; when ``fields`` is given it becomes the port's whole schema, in order."""
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    require(permissions.can_edit_product(actor, product), NOT_YOURS)
    if product.status == Status.RETIRED:
        raise DomainError("A retired product can no longer be edited.")
    creating = port is None
    port = port or OutputPort(product=product)
    if port.product_id != product.pk:
        raise DomainError("This port belongs to another product.", field="port")
    for name, value in data.items():
        setattr(port, name, value)
    port.full_clean(validate_unique=False)
    if OutputPort.objects.filter(product=product, name=port.name).exclude(pk=port.pk).exists():
        raise DomainError(f"This product already has a port named “{port.name}”.", field="name")
    port.save()
    if fields is not None:
        with index_batch():
            _port_schema_replace(port, fields)
    audit_record(
        actor=actor,
        action="port.create" if creating else "port.update",
        target=product,
        data={"port": port.name, "version": port.version},
    )
    return port


def _port_schema_replace(port: OutputPort, fields: list[dict]) -> None:
    names = [item["name"] for item in fields]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DomainError(f"Field names must be unique in a port: {', '.join(duplicates)}.", field="fields")
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
        raise DomainError("Access has been requested to this port, so it is kept for the record.", field="port")
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


# --- Access to data: requests, decisions, grants, expiry, provisioning --------------------------------------------
#
# Lifecycle: a request is pending until an approver decides (or the requester withdraws, or it waits too long and
# expires); approval creates a grant (one per request: a OneToOne makes it a database fact) which is active until
# it expires or an owner revokes it. Renewal: the grantee files a new request with ``renewal_of`` set; approving
# it extends that grant's expiry (from its current expiry, or from now if later) instead of creating a second
# grant, so "My access" and the Access tab keep one row per person and port. If the grant ended meanwhile, the
# approval creates a fresh grant. Every move is audited; provisioning runs in a task published on commit.

RequestStatus = AccessRequest.Status
GrantStatus = AccessGrant.Status
Provisioning = AccessGrant.Provisioning

ACCESS_REQUEST_TRANSITIONS: dict[str, set[str]] = {
    RequestStatus.PENDING: {
        RequestStatus.APPROVED,
        RequestStatus.REJECTED,
        RequestStatus.WITHDRAWN,
        RequestStatus.EXPIRED,
    },
    RequestStatus.APPROVED: set(),
    RequestStatus.REJECTED: set(),
    RequestStatus.WITHDRAWN: set(),
    RequestStatus.EXPIRED: set(),
}
GRANT_TRANSITIONS: dict[str, set[str]] = {
    GrantStatus.ACTIVE: {GrantStatus.EXPIRED, GrantStatus.REVOKED},
    GrantStatus.EXPIRED: set(),
    GrantStatus.REVOKED: set(),
}
ACCESS_REQUEST_REMIND_AFTER = timedelta(days=3)
ACCESS_REQUEST_EXPIRE_AFTER = timedelta(days=14)
GRANT_EXPIRY_NOTICE = timedelta(days=7)
RENEWAL_WINDOW = timedelta(days=30)


def _access_deciders(product: DataProduct, *, exclude_user_id=None) -> list[int]:
    ids = Membership.objects.filter(
        team_id=product.owner_team_id, role__in=permissions.ACCESS_DECIDER_ROLES, user__is_active=True
    ).values_list("user_id", flat=True)
    return [pk for pk in ids if pk != exclude_user_id]


def _request_transition_check(access_request: AccessRequest, to_status: str) -> None:
    if to_status not in ACCESS_REQUEST_TRANSITIONS[access_request.status]:
        raise TransitionNotAllowed(
            f"This request is {access_request.get_status_display().lower()}; it cannot become "
            f"{RequestStatus(to_status).label.lower()}."
        )


def _grant_transition_check(grant: AccessGrant, to_status: str) -> None:
    if to_status not in GRANT_TRANSITIONS[grant.status]:
        raise TransitionNotAllowed(
            f"This grant is {grant.get_status_display().lower()}; it cannot become {GrantStatus(to_status).label.lower()}."
        )


def access_duration_choices(port: OutputPort) -> list[int]:
    """Durations a requester may pick for ``port``. Restricted products are capped at 90 days."""
    choices = [int(value) for value in AccessRequest.Duration.values]
    if port.product.classification == "restricted":
        choices = [days for days in choices if days <= 90]
    return choices


def has_valid_clearance(user, kind: str, *, now=None) -> bool:
    return Clearance.objects.filter(user=user, kind=kind, expires_at__gt=now or timezone.now()).exists()


@transaction.atomic
def access_request_create(
    *,
    actor,
    port: OutputPort,
    purpose: str,
    duration_days: int,
    wants_unmasked_pii: bool = False,
    renewal_of: AccessGrant | None = None,
    now=None,
) -> AccessRequest:
    """File a request for ``port``. Restricted products need two approvals; the choice is fixed at filing."""
    now = now or timezone.now()
    product = port.product
    require(permissions.can_request_access(actor, port), "Access can only be requested to published products.")
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError("Say what you need the data for.", field="purpose")
    if int(duration_days) not in access_duration_choices(port):
        allowed = ", ".join(str(days) for days in access_duration_choices(port))
        raise DomainError(f"Choose a duration of {allowed} days.", field="duration_days")
    if renewal_of is not None:
        if not permissions.can_renew_grant(actor, renewal_of) or renewal_of.port_id != port.pk:
            raise DomainError("You can only renew your own grant on this port.", field="renewal_of")
        if not renewal_of.is_live(now):
            raise DomainError("This grant has ended; request access anew.", field="renewal_of")
    elif AccessGrant.objects.filter(user=actor, port=port, status=GrantStatus.ACTIVE, expires_at__gt=now).exists():
        raise DomainError("You already have access to this port; renew it from “My access”.", field="port")
    access_request = AccessRequest(
        requester=actor,
        port=port,
        purpose=purpose,
        duration_days=int(duration_days),
        wants_unmasked_pii=bool(wants_unmasked_pii),
        renewal_of=renewal_of,
        approvals_required=2 if product.classification == "restricted" else 1,
        created_at=now,
    )
    try:
        with transaction.atomic():
            access_request.save()
    except IntegrityError as exc:
        raise DomainError("You already have a pending request for this port.", field="port") from exc
    audit_record(
        actor=actor,
        action="access_request.renew" if renewal_of else "access_request.create",
        target=access_request,
        to_state=access_request.status,
        data={"port": port.pk, "duration_days": access_request.duration_days, "pii": access_request.wants_unmasked_pii},
    )
    notify(
        _access_deciders(product, exclude_user_id=actor.pk),
        kind="access.request",
        title=f"{actor.get_full_name() or actor.username} asks for access to {product.name} / {port.name}",
        body=purpose,
        url=access_request.get_absolute_url(),
        dedupe_key=f"access-request:{access_request.pk}",
    )
    return access_request


def _lock_request(access_request: AccessRequest) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update().select_related("port__product", "requester").get(pk=access_request.pk)
    )


def _set_request_status(access_request: AccessRequest, to_status: str, *, actor=None, note: str = "", now) -> None:
    """A conditional UPDATE: exactly one caller moves a pending request (works on SQLite and PostgreSQL)."""
    changed = AccessRequest.objects.filter(pk=access_request.pk, status=RequestStatus.PENDING).update(
        status=to_status, decided_at=now, decided_by=actor if getattr(actor, "pk", None) else None, decision_note=note
    )
    if changed != 1:
        raise TransitionNotAllowed("This request has already been decided.")
    access_request.status, access_request.decided_at, access_request.decision_note = to_status, now, note


@transaction.atomic
def access_request_approve(*, actor, access_request: AccessRequest, note: str = "", now=None) -> AccessRequest:
    """Record ``actor``'s approval; once enough distinct approvers agreed, create (or extend) the grant."""
    now = now or timezone.now()
    access_request = _lock_request(access_request)
    require(
        permissions.can_decide_access_request(actor, access_request),
        "Only an owner or approver of the owning team decides, and never on their own request.",
    )
    _request_transition_check(access_request, RequestStatus.APPROVED)
    try:
        with transaction.atomic():
            AccessApproval.objects.create(request=access_request, approver=actor, note=note.strip(), at=now)
    except IntegrityError as exc:
        raise DomainError("You have already approved this request; a second approver is needed.") from exc
    approvals = access_request.approvals.count()
    product = access_request.port.product
    if approvals < access_request.approvals_required:
        audit_record(
            actor=actor,
            action="access_request.approval",
            target=access_request,
            comment=note,
            data={"approvals": approvals, "required": access_request.approvals_required},
        )
        notify(
            _access_deciders(product, exclude_user_id=access_request.requester_id),
            kind="access.second_approval",
            title=f"Request #{access_request.pk} for {product.name} needs a second approval",
            url=access_request.get_absolute_url(),
            dedupe_key=f"access-request-second:{access_request.pk}",
        )
        return access_request
    _set_request_status(access_request, RequestStatus.APPROVED, actor=actor, note=note.strip(), now=now)
    grant = _grant_for_approved(access_request, now=now)
    audit_record(
        actor=actor,
        action="access_request.approve",
        target=access_request,
        from_state=RequestStatus.PENDING,
        to_state=RequestStatus.APPROVED,
        comment=note,
        data={"grant": grant.pk, "unmasked_pii": grant.unmasked_pii, "expires_at": grant.expires_at.isoformat()},
    )
    notify(
        [access_request.requester_id],
        kind="access.approved",
        title=f"Your access to {product.name} / {access_request.port.name} was approved",
        body=f"Until {grant.expires_at:%Y-%m-%d}."
        + (" Classified columns stay masked: you hold no valid clearance." if not grant.unmasked_pii else ""),
        url=reverse("products:my-access"),
        dedupe_key=f"access-approved:{access_request.pk}",
    )
    return access_request


def _grant_for_approved(access_request: AccessRequest, *, now) -> AccessGrant:
    from products.tasks import grant_provisioning_sync_task

    unmasked = access_request.wants_unmasked_pii and has_valid_clearance(
        access_request.requester, Clearance.Kind.GDPR, now=now
    )
    duration = timedelta(days=access_request.duration_days)
    renewed = access_request.renewal_of
    if renewed is not None:
        renewed = AccessGrant.objects.select_for_update().get(pk=renewed.pk)
    if renewed is not None and renewed.status == GrantStatus.ACTIVE:
        renewed.expires_at = max(renewed.expires_at, now) + duration
        renewed.unmasked_pii = unmasked
        renewed.provisioning_state = Provisioning.PENDING
        renewed.save(update_fields=["expires_at", "unmasked_pii", "provisioning_state"])
        grant = renewed
        audit_record(actor=None, action="grant.renew", target=grant, data={"request": access_request.pk})
    else:
        grant = AccessGrant.objects.create(
            request=access_request,
            user_id=access_request.requester_id,
            port=access_request.port,
            granted_at=now,
            expires_at=now + duration,
            unmasked_pii=unmasked,
        )
    task_enqueue_on_commit(grant_provisioning_sync_task, grant.pk)
    return grant


@transaction.atomic
def access_request_reject(*, actor, access_request: AccessRequest, note: str = "", now=None) -> AccessRequest:
    now = now or timezone.now()
    access_request = _lock_request(access_request)
    require(
        permissions.can_decide_access_request(actor, access_request),
        "Only an owner or approver of the owning team decides, and never on their own request.",
    )
    _request_transition_check(access_request, RequestStatus.REJECTED)
    if not note.strip():
        raise DomainError("Tell the requester why.", field="note")
    _set_request_status(access_request, RequestStatus.REJECTED, actor=actor, note=note.strip(), now=now)
    audit_record(
        actor=actor,
        action="access_request.reject",
        target=access_request,
        from_state=RequestStatus.PENDING,
        to_state=RequestStatus.REJECTED,
        comment=note,
    )
    notify(
        [access_request.requester_id],
        kind="access.rejected",
        title=f"Your access request for {access_request.port.product.name} was rejected",
        body=note,
        url=access_request.get_absolute_url(),
        dedupe_key=f"access-rejected:{access_request.pk}",
    )
    return access_request


@transaction.atomic
def access_request_withdraw(*, actor, access_request: AccessRequest, now=None) -> AccessRequest:
    now = now or timezone.now()
    access_request = _lock_request(access_request)
    require(permissions.can_withdraw_access_request(actor, access_request), "Only the requester withdraws.")
    _request_transition_check(access_request, RequestStatus.WITHDRAWN)
    _set_request_status(access_request, RequestStatus.WITHDRAWN, actor=actor, now=now)
    audit_record(
        actor=actor,
        action="access_request.withdraw",
        target=access_request,
        from_state=RequestStatus.PENDING,
        to_state=RequestStatus.WITHDRAWN,
    )
    return access_request


def access_requests_remind_and_expire(*, now=None) -> dict:
    """Nudge approvers about requests waiting ``ACCESS_REQUEST_REMIND_AFTER``; expire those waiting
    ``ACCESS_REQUEST_EXPIRE_AFTER``. Safe to run any number of times: reminders are deduplicated per request and
    an expired request is no longer pending."""
    now = now or timezone.now()
    expired = 0
    for pk in AccessRequest.objects.filter(
        status=RequestStatus.PENDING, created_at__lte=now - ACCESS_REQUEST_EXPIRE_AFTER
    ).values_list("pk", flat=True):
        with transaction.atomic():
            access_request = _lock_request(AccessRequest(pk=pk))
            if access_request.status != RequestStatus.PENDING:
                continue
            _set_request_status(access_request, RequestStatus.EXPIRED, now=now, note="No decision in time.")
            audit_record(
                actor=None,
                action="access_request.expire",
                target=access_request,
                from_state=RequestStatus.PENDING,
                to_state=RequestStatus.EXPIRED,
            )
            notify(
                [access_request.requester_id],
                kind="access.request_expired",
                title=f"Your access request for {access_request.port.product.name} expired without a decision",
                url=access_request.get_absolute_url(),
                dedupe_key=f"access-request-expired:{pk}",
            )
            expired += 1
    reminded = 0
    waiting = AccessRequest.objects.filter(
        status=RequestStatus.PENDING, reminded_at=None, created_at__lte=now - ACCESS_REQUEST_REMIND_AFTER
    ).select_related("port__product")
    for access_request in waiting:
        with transaction.atomic():
            if not AccessRequest.objects.filter(pk=access_request.pk, reminded_at=None).update(reminded_at=now):
                continue
            reminded += notify(
                _access_deciders(access_request.port.product, exclude_user_id=access_request.requester_id),
                kind="access.reminder",
                title=f"Reminder: request #{access_request.pk} for {access_request.port.product.name} awaits you",
                url=access_request.get_absolute_url(),
                dedupe_key=f"access-request-reminder:{access_request.pk}",
            )
    return {"expired": expired, "reminded": reminded}


def _end_grant(grant: AccessGrant, to_status: str, *, actor=None, reason: str = "", now) -> AccessGrant:
    from products.tasks import grant_provisioning_sync_task

    _grant_transition_check(grant, to_status)
    from_status = grant.status
    grant.status, grant.ended_at, grant.end_reason = to_status, now, reason[:300]
    grant.ended_by = actor if getattr(actor, "pk", None) else None
    grant.save(update_fields=["status", "ended_at", "end_reason", "ended_by"])
    audit_record(
        actor=actor,
        action=f"grant.{'revoke' if to_status == GrantStatus.REVOKED else 'expire'}",
        target=grant,
        from_state=from_status,
        to_state=to_status,
        comment=reason,
    )
    task_enqueue_on_commit(grant_provisioning_sync_task, grant.pk)
    return grant


@transaction.atomic
def grant_revoke(*, actor, grant: AccessGrant, reason: str = "", now=None) -> AccessGrant:
    """End a grant now. Reading through the portal stops with the next request; the warehouse REVOKE follows
    in the provisioning task (and the sweep retries it until it succeeds)."""
    now = now or timezone.now()
    grant = AccessGrant.objects.select_for_update().select_related("port__product").get(pk=grant.pk)
    require(permissions.can_revoke_grant(actor, grant), "Only the owning team's owners and approvers revoke.")
    _end_grant(grant, GrantStatus.REVOKED, actor=actor, reason=reason.strip(), now=now)
    notify(
        [grant.user_id],
        kind="access.revoked",
        title=f"Your access to {grant.port.product.name} / {grant.port.name} was revoked",
        body=reason,
        url=reverse("products:my-access"),
        dedupe_key=f"grant-revoked:{grant.pk}",
    )
    return grant


def grants_expire(*, now=None) -> dict:
    """The nightly job: end grants past their expiry, and tell grantees (once per expiry date) whose grants end
    within ``GRANT_EXPIRY_NOTICE``. Running it twice changes nothing the second time."""
    now = now or timezone.now()
    expired = 0
    for pk in AccessGrant.objects.filter(status=GrantStatus.ACTIVE, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            grant = AccessGrant.objects.select_for_update().select_related("port__product").get(pk=pk)
            if grant.status != GrantStatus.ACTIVE or grant.expires_at > now:
                continue
            _end_grant(grant, GrantStatus.EXPIRED, reason="Reached its expiry date.", now=now)
            notify(
                [grant.user_id],
                kind="access.expired",
                title=f"Your access to {grant.port.product.name} / {grant.port.name} has expired",
                url=reverse("products:my-access"),
                dedupe_key=f"grant-expired:{grant.pk}",
            )
            expired += 1
    noticed = 0
    ending = AccessGrant.objects.filter(
        status=GrantStatus.ACTIVE, expires_at__gt=now, expires_at__lte=now + GRANT_EXPIRY_NOTICE
    ).select_related("port__product")
    for grant in ending:
        noticed += notify(
            [grant.user_id],
            kind="access.expiring",
            title=f"Your access to {grant.port.product.name} / {grant.port.name} ends on {grant.expires_at:%Y-%m-%d}",
            body="Request a renewal from “My access” if you still need it.",
            url=reverse("products:my-access"),
            dedupe_key=f"grant-expiring:{grant.pk}:{grant.expires_at:%Y-%m-%d}",
        )
    return {"expired": expired, "noticed": noticed}


def grant_provisioning_sync(grant_id: int, *, now=None) -> str:
    """Bring the data platform in line with the grant: provision an active grant, deprovision an ended one.

    Idempotent: a grant already in the wanted state is left alone; a failure is recorded (state ``failed`` with
    the backend's error) and retried by the sweep. The grant row stays locked while the backends run so two
    workers never provision the same grant at once."""
    from products.provisioning import ProvisioningError, provisioners_for

    now = now or timezone.now()
    with transaction.atomic():
        grant = (
            AccessGrant.objects.select_for_update(of=("self",))
            .select_related("port__product", "port__warehouse", "user")
            .get(pk=grant_id)
        )
        active = grant.status == GrantStatus.ACTIVE
        wanted = Provisioning.PROVISIONED if active else Provisioning.DEPROVISIONED
        if grant.provisioning_state == wanted:
            return wanted
        if not active and grant.provisioning_state == Provisioning.PENDING and grant.provisioned_at is None:
            backends = []  # never reached the platform: nothing to take back
        else:
            try:
                backends = provisioners_for(grant.port)
            except ProvisioningError as error:
                backends, failure = None, str(error)
        try:
            if backends is None:
                raise ProvisioningError(failure)
            for backend in backends:
                backend.provision(grant) if active else backend.deprovision(grant)
        except ProvisioningError as error:
            grant.provisioning_state, grant.provisioning_error = Provisioning.FAILED, str(error)[:2000]
            grant.save(update_fields=["provisioning_state", "provisioning_error"])
            audit_record(actor=None, action="grant.provisioning_failed", target=grant, data={"wanted": wanted})
            return Provisioning.FAILED
        grant.provisioning_state, grant.provisioning_error = wanted, ""
        if active:
            grant.provisioned_at = now
        grant.save(update_fields=["provisioning_state", "provisioning_error", "provisioned_at"])
        audit_record(
            actor=None,
            action=f"grant.{wanted}",
            target=grant,
            data={"backends": [type(backend).__name__ for backend in backends]},
        )
        return wanted


def grants_needing_sync():
    """Grants whose platform state lags behind: active but not provisioned, or ended but not deprovisioned."""
    from django.db.models import Q

    return AccessGrant.objects.filter(
        Q(status=GrantStatus.ACTIVE, provisioning_state__in=[Provisioning.PENDING, Provisioning.FAILED])
        | (~Q(status=GrantStatus.ACTIVE) & ~Q(provisioning_state=Provisioning.DEPROVISIONED))
    )


# --- Quality: checks, runs, results, scores, incidents ------------------------------------------------------------
# How it fits: ``quality_run_start`` queues a CheckRun; ``quality_run_execute`` fans out one task per check;
# ``quality_check_record`` runs one check read-only and records its result once per run (a unique constraint);
# the task that completes the run evaluates the product: score snapshot, ``DataProduct.quality_score``,
# breach incidents and SLA misses. Pushed results (``quality_results_push``) go through the same evaluation.

QUALITY_SCHEDULE_PREFIX = "Quality checks: "
QUALITY_SLO_PERCENT = 95.0  # share of freshness / completeness measurements that must pass over the window
QUALITY_WINDOW_DAYS = 30
QUALITY_PUSH_MAX = 500
QUALITY_CHECK_FIELDS = ("name", "kind", "port", "column", "params", "severity", "dimension", "enabled")


def _quality_models():
    from products.models import (
        CheckResult,
        CheckRun,
        Incident,
        ProductIngestToken,
        QualityCheck,
        QualityScoreSnapshot,
    )

    return CheckResult, CheckRun, Incident, ProductIngestToken, QualityCheck, QualityScoreSnapshot


@transaction.atomic
def quality_check_save(*, actor, product: DataProduct, check=None, **data):
    """Create or change a check of ``product``. The port must be the product's own; params are validated per
    kind; custom SQL must be one SELECT. Refusals are DomainErrors naming the field."""
    from products.quality import params_validate

    _, _, _, _, QualityCheck, _ = _quality_models()
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    require(permissions.can_manage_quality_checks(actor, product), "Only the owning team manages its checks.")
    unknown = set(data) - set(QUALITY_CHECK_FIELDS)
    if unknown:
        raise DomainError(f"Unknown check fields: {', '.join(sorted(unknown))}.")
    if check is not None:
        check = QualityCheck.objects.select_for_update().get(pk=check.pk, product=product)
    else:
        check = QualityCheck(product=product)
    for name, value in data.items():
        setattr(check, name, value)
    if check.port_id and not OutputPort.objects.filter(pk=check.port_id, product=product).exists():
        raise DomainError("Choose one of this product's ports.", field="port")
    if check.kind != "external" and check.kind != "custom_sql" and check.port_id is None:
        raise DomainError("This kind of check runs on a port's table: choose a port.", field="port")
    check.params = params_validate(check.kind, check.column or "", check.params or {})
    if QualityCheck.objects.filter(product=product, name=check.name).exclude(pk=check.pk).exists():
        raise DomainError(f"This product already has a check called “{check.name}”.", field="name")
    creating = check.pk is None
    check.full_clean(exclude=["product", "port"])
    check.save()
    audit_record(
        actor=actor,
        action="quality_check.create" if creating else "quality_check.update",
        target=product,
        data={"check": check.name, "kind": check.kind},
    )
    quality_schedule_sync(product)
    return check


@transaction.atomic
def quality_check_delete(*, actor, check) -> None:
    product = DataProduct.objects.select_for_update().get(pk=check.product_id)
    require(permissions.can_manage_quality_checks(actor, product), "Only the owning team manages its checks.")
    audit_record(actor=actor, action="quality_check.delete", target=product, data={"check": check.name})
    check.delete()
    quality_schedule_sync(product)


def quality_schedule_sync(product: DataProduct, *, every_minutes: int = 60):
    """Keep the product's beat schedule (one PeriodicTask, hourly by default, edited in Django admin): created
    when the product gets its first runnable check, enabled only while it has one. An admin's interval stays."""
    import json

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    _, _, _, _, QualityCheck, _ = _quality_models()
    wanted = QualityCheck.objects.filter(product=product, enabled=True).exclude(kind="external").exists()
    name = f"{QUALITY_SCHEDULE_PREFIX}{product.urn}"
    task = PeriodicTask.objects.filter(name=name).first()
    if task is None:
        if not wanted:
            return None
        interval = IntervalSchedule.objects.filter(every=every_minutes, period=IntervalSchedule.MINUTES).first()
        interval = interval or IntervalSchedule.objects.create(every=every_minutes, period=IntervalSchedule.MINUTES)
        return PeriodicTask.objects.create(
            name=name,
            task="products.tasks.quality_product_scheduled_task",
            args=json.dumps([product.pk]),
            interval=interval,
            enabled=True,
        )
    if task.enabled != wanted:
        task.enabled = wanted
        task.save(update_fields=["enabled"])
    return task


def quality_run_start(*, actor, product: DataProduct, trigger: str = "manual"):
    """Queue a run of the product's enabled checks (one per product at a time: a second click returns the run
    already going). ``actor`` None means the schedule."""
    CheckResult, CheckRun, _, _, QualityCheck, _ = _quality_models()
    if actor is not None:
        require(permissions.can_run_quality_checks(actor, product), "Only the owning team runs its checks.")
    check_ids = list(
        QualityCheck.objects.filter(product=product, enabled=True)
        .exclude(kind="external")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        existing = CheckRun.objects.filter(product=product).exclude(status="done").first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                run = CheckRun.objects.create(
                    product=product,
                    trigger=trigger,
                    requested_by=actor if getattr(actor, "is_authenticated", False) else None,
                    check_ids=check_ids,
                    total=len(check_ids),
                )
        except IntegrityError:
            return CheckRun.objects.filter(product=product).exclude(status="done").first()
        audit_record(actor=actor, action="quality_run.start", target=product, data={"run": run.pk})
        from products.tasks import quality_run_task

        task_enqueue_on_commit(quality_run_task, run.pk)
    return run


def quality_run_execute(run_id: int, *, missing_only: bool = False) -> int:
    """Fan out one task per check of the run that has no result yet; returns how many were sent."""
    CheckResult, CheckRun, _, _, _, _ = _quality_models()
    now = timezone.now()
    CheckRun.objects.filter(pk=run_id, status="queued").update(status="running", started_at=now)
    run = CheckRun.objects.filter(pk=run_id).first()
    if run is None or run.status == "done":
        return 0
    done = set(CheckResult.objects.filter(run_id=run_id).values_list("quality_check_id", flat=True))
    todo = [check_id for check_id in run.check_ids if check_id not in done]
    if not todo:
        quality_run_finish(run_id)
        return 0
    from products.tasks import quality_check_task

    for check_id in todo:
        task_enqueue_on_commit(quality_check_task, run_id, check_id)
    return len(todo)


def quality_check_record(run_id: int, check_id: int, *, now=None) -> str:
    """Run one check for one run and record its result, once: a second delivery of the task records nothing."""
    from django.db.models import F

    from products.quality import Outcome, check_execute

    CheckResult, CheckRun, _, _, QualityCheck, _ = _quality_models()
    if CheckResult.objects.filter(run_id=run_id, quality_check_id=check_id).exists():
        return "duplicate"
    run = CheckRun.objects.filter(pk=run_id).first()
    if run is None or run.status == "done":
        return "no-run"
    check = QualityCheck.objects.select_related("port__warehouse").filter(pk=check_id).first()
    if check is None:
        outcome = Outcome("error", None, "The check was deleted before it ran.")
    else:
        outcome = check_execute(check, now=now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                if check is not None:
                    CheckResult.objects.create(
                        quality_check=check,
                        product_id=run.product_id,
                        run_id=run_id,
                        state=outcome.state,
                        observed_value=outcome.observed_value,
                        message=outcome.message[:4000],
                        source="runner",
                        measured_at=now or timezone.now(),
                    )
        except IntegrityError:
            return "duplicate"
        CheckRun.objects.filter(pk=run_id).update(
            completed=F("completed") + 1, failed=F("failed") + (0 if outcome.state == "passed" else 1)
        )
    quality_run_finish(run_id)
    return outcome.state


def quality_run_finish(run_id: int) -> bool:
    """Close the run once every check has a result, and evaluate the product: exactly once (conditional update)."""
    from django.db.models import F

    _, CheckRun, _, _, _, _ = _quality_models()
    with transaction.atomic():  # "done" and the new score become visible together
        closed = (
            CheckRun.objects.filter(pk=run_id)
            .exclude(status="done")
            .filter(completed__gte=F("total"))
            .update(status="done", finished_at=timezone.now())
        )
        if closed:
            product_id = CheckRun.objects.values_list("product_id", flat=True).get(pk=run_id)
            quality_product_evaluate(product_id, snapshot=True)
    return bool(closed)


def ingest_token_create(*, actor, product: DataProduct, name: str):
    """A new push token for ``product``; returns (token row, the secret shown once)."""
    import hashlib
    import secrets

    _, _, _, ProductIngestToken, _, _ = _quality_models()
    require(permissions.can_manage_ingest_tokens(actor, product), "Only the owning team's owners manage tokens.")
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the token a name (e.g. the pipeline that uses it).", field="name")
    secret = "mpq_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ProductIngestToken.objects.create(
            product=product,
            name=name[:100],
            prefix=secret[:10],
            token_hash=hashlib.sha256(secret.encode()).hexdigest(),
            created_by=actor,
        )
        audit_record(actor=actor, action="ingest_token.create", target=product, data={"token": token.prefix})
    return token, secret


@transaction.atomic
def ingest_token_revoke(*, actor, token) -> None:
    _, _, _, ProductIngestToken, _, _ = _quality_models()
    token = ProductIngestToken.objects.select_for_update().select_related("product").get(pk=token.pk)
    require(permissions.can_manage_ingest_tokens(actor, token.product), "Only the owning team's owners do this.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="ingest_token.revoke", target=token.product, data={"token": token.prefix})


def ingest_token_authenticate(secret: str):
    """The live token for this secret (its ``last_used_at`` touched), or None."""
    import hashlib

    _, _, _, ProductIngestToken, _, _ = _quality_models()
    digest = hashlib.sha256((secret or "").encode()).hexdigest()
    token = ProductIngestToken.objects.filter(token_hash=digest, revoked_at=None).select_related("product").first()
    if token is not None:
        ProductIngestToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def quality_results_push(*, product: DataProduct, results: list[dict], actor=None, token=None) -> int:
    """Record results a pipeline pushed (dbt tests, Great Expectations). A result names its check; an unknown
    name creates an ``external`` check. Each item: ``check``, ``passed`` (bool) or ``state``, optional
    ``observed_value``, ``message``, ``measured_at`` (ISO 8601), and for new checks ``dimension``/``severity``.
    Either ``token`` (scoped to ``product``) or a person who may push for the product."""
    from datetime import UTC, datetime

    CheckResult, _, _, _, QualityCheck, _ = _quality_models()
    if token is not None:
        if token.product_id != product.pk or token.revoked_at is not None:
            raise PermissionDenied("This token is for another product.")
    else:
        require(permissions.can_push_quality_results(actor, product), "Only the owning team pushes results.")
    if not isinstance(results, list) or not results:
        raise DomainError("Send a non-empty list of results.", field="results")
    if len(results) > QUALITY_PUSH_MAX:
        raise DomainError(f"At most {QUALITY_PUSH_MAX} results per request.", field="results")
    now = timezone.now()
    rows = []
    with transaction.atomic():
        checks = {check.name: check for check in QualityCheck.objects.filter(product=product)}
        for index, item in enumerate(results):
            where = f"results[{index}]"
            if not isinstance(item, dict) or not str(item.get("check") or "").strip():
                raise DomainError(f"{where}.check: name the check.", field="results")
            name = str(item["check"]).strip()[:120]
            if "state" in item:
                state = item["state"]
                if state not in CheckResult.State.values:
                    raise DomainError(f"{where}.state must be passed, failed or error.", field="results")
            elif isinstance(item.get("passed"), bool):
                state = "passed" if item["passed"] else "failed"
            else:
                raise DomainError(f"{where}: give passed (true/false) or state.", field="results")
            value = item.get("observed_value")
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise DomainError(f"{where}.observed_value must be a number.", field="results")
            measured_at = now
            if item.get("measured_at"):
                try:
                    measured_at = datetime.fromisoformat(str(item["measured_at"]).replace("Z", "+00:00"))
                except ValueError:
                    raise DomainError(f"{where}.measured_at is not an ISO 8601 time.", field="results") from None
                if timezone.is_naive(measured_at):
                    measured_at = measured_at.replace(tzinfo=UTC)
                if measured_at > now + timedelta(minutes=5):
                    raise DomainError(f"{where}.measured_at is in the future.", field="results")
            check = checks.get(name)
            if check is None:
                dimension = item.get("dimension") or "accuracy"
                severity = item.get("severity") or "warning"
                if dimension not in QualityCheck.Dimension.values:
                    raise DomainError(f"{where}.dimension: one of the ODCS dimensions.", field="results")
                if severity not in QualityCheck.Severity.values:
                    raise DomainError(f"{where}.severity must be blocker or warning.", field="results")
                check = QualityCheck.objects.create(
                    product=product, name=name, kind="external", dimension=dimension, severity=severity
                )
                checks[name] = check
            rows.append(
                CheckResult(
                    quality_check=check,
                    product=product,
                    state=state,
                    observed_value=value,
                    message=str(item.get("message") or "")[:4000],
                    source="push",
                    measured_at=measured_at,
                )
            )
        CheckResult.objects.bulk_create(rows)
        audit_record(
            actor=actor,
            action="quality_results.push",
            target=product,
            data={"results": len(rows), "token": token.prefix if token else ""},
        )
    quality_product_evaluate(product.pk, snapshot=True)
    return len(rows)


def quality_scores(product_id: int) -> tuple[float | None, dict[str, float]]:
    """Score 0–100 and per-dimension scores: the severity-weighted share of enabled checks whose latest result
    passed (blocker 3, warning 1; a result that could not run counts as not passed). One query."""
    from django.db.models import OuterRef, Subquery

    CheckResult, _, _, _, QualityCheck, _ = _quality_models()
    latest = CheckResult.objects.filter(quality_check=OuterRef("pk")).order_by("-measured_at", "-id")
    rows = (
        QualityCheck.objects.filter(product_id=product_id, enabled=True)
        .annotate(latest_state=Subquery(latest.values("state")[:1]))
        .values_list("dimension", "severity", "latest_state")
    )
    totals: dict[str, list[float]] = {}
    for dimension, severity, state in rows:
        if state is None:
            continue
        weight = 3 if severity == "blocker" else 1
        bucket = totals.setdefault(dimension, [0.0, 0.0])
        bucket[0] += weight if state == "passed" else 0
        bucket[1] += weight
    if not totals:
        return None, {}
    dimensions = {name: round(100 * ok / weight, 1) for name, (ok, weight) in sorted(totals.items())}
    passed = sum(ok for ok, _ in totals.values())
    weight = sum(w for _, w in totals.values())
    return round(100 * passed / weight, 2), dimensions


def quality_sla(product: DataProduct, *, now=None, days: int = QUALITY_WINDOW_DAYS) -> list[dict]:
    """SLA compliance over the window, one query. For each metric with measurements: met % and the error budget
    left. Freshness and completeness: the share of freshness / completeness check results that passed, against
    ``QUALITY_SLO_PERCENT``. Availability: the share of runs and pushes that answered (not "could not run"),
    against the product's availability SLA (99 % when it has none). Budget left = 1 − missed / allowed."""
    from django.db.models import Count, Q

    CheckResult, _, _, _, _, _ = _quality_models()
    now = now or timezone.now()
    counts = CheckResult.objects.filter(product=product, measured_at__gte=now - timedelta(days=days)).aggregate(
        freshness_total=Count("pk", filter=Q(quality_check__kind="freshness")),
        freshness_ok=Count("pk", filter=Q(quality_check__kind="freshness", state="passed")),
        completeness_total=Count("pk", filter=Q(quality_check__kind="completeness")),
        completeness_ok=Count("pk", filter=Q(quality_check__kind="completeness", state="passed")),
        availability_total=Count("pk"),
        availability_ok=Count("pk", filter=~Q(state="error")),
    )
    availability_target = float(product.availability_percent) if product.availability_percent is not None else 99.0
    targets = {
        "freshness": QUALITY_SLO_PERCENT,
        "completeness": QUALITY_SLO_PERCENT,
        "availability": availability_target,
    }
    metrics = []
    for metric, target in targets.items():
        total = counts[f"{metric}_total"]
        if not total:
            continue
        met = 100 * counts[f"{metric}_ok"] / total
        allowed = 100 - target
        missed = 100 - met
        left = (100.0 if missed == 0 else 0.0) if allowed <= 0 else max(0.0, 100 * (1 - missed / allowed))
        metrics.append(
            {
                "metric": metric,
                "target": round(target, 2),
                "met_percent": round(met, 2),
                "measurements": total,
                "budget_left_percent": round(left, 1),
                "ok": met >= target,
            }
        )
    return metrics


def _incident_webhooks(incident, kind: str) -> None:
    """Optional alert webhook: endpoints that list ``quality.incident.opened`` / ``.resolved`` in their event
    kinds get it through the provisioning outbox (signed, retried, deduplicated by event id)."""
    import uuid

    from products.models import OutboxEvent, WebhookEndpoint
    from products.provisioning import OUTBOX_NAMESPACE
    from products.tasks import outbox_event_deliver

    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if kind not in (endpoint.event_kinds or []):
            continue
        event, created = OutboxEvent.objects.get_or_create(
            event_id=uuid.uuid5(OUTBOX_NAMESPACE, f"{endpoint.pk}:{kind}:{incident.pk}"),
            defaults={
                "endpoint": endpoint,
                "kind": kind,
                "payload": {
                    "kind": kind,
                    "incident": {
                        "id": incident.pk,
                        "kind": incident.kind,
                        "summary": incident.summary,
                        "opened_at": incident.opened_at.isoformat(),
                        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
                    },
                    "product": incident.product.urn,
                },
            },
        )
        if created:
            task_enqueue_on_commit(outbox_event_deliver, event.pk)


def _incident_open(product: DataProduct, *, check=None, metric: str = "", summary: str, now):
    """Open the incident unless one is open already (the partial unique constraint decides); notify the
    owning team once (dedupe key per incident)."""
    _, _, Incident, _, _, _ = _quality_models()
    open_incidents = Incident.objects.filter(product=product, resolved_at=None)
    if (check and open_incidents.filter(quality_check=check).exists()) or (
        metric and open_incidents.filter(kind="sla_miss", metric=metric).exists()
    ):
        return None
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                product=product,
                quality_check=check,
                kind="breach" if check else "sla_miss",
                metric=metric,
                summary=summary[:500],
                opened_at=now,
            )
            members = Membership.objects.filter(team_id=product.owner_team_id, user__is_active=True)
            notify(
                [m.user_id for m in members],
                kind="quality.incident",
                title=f"{product.name}: {summary}"[:200],
                body="The incident closes itself when the checks pass again.",
                url=product.get_absolute_url() + "#quality",
                dedupe_key=f"quality-incident:{incident.pk}:opened",
            )
            Incident.objects.filter(pk=incident.pk).update(notified_at=now)
            audit_record(actor=None, action="quality_incident.open", target=product, comment=summary[:500])
            _incident_webhooks(incident, "quality.incident.opened")
    except IntegrityError:  # opened meanwhile by a concurrent evaluation
        return None
    return incident


def _incidents_resolve(queryset, product: DataProduct, *, now) -> int:
    _, _, Incident, _, _, _ = _quality_models()
    resolved = 0
    for incident in list(queryset.filter(resolved_at=None)):
        if Incident.objects.filter(pk=incident.pk, resolved_at=None).update(resolved_at=now):
            incident.resolved_at = now
            resolved += 1
            audit_record(actor=None, action="quality_incident.resolve", target=product, comment=incident.summary)
            _incident_webhooks(incident, "quality.incident.resolved")
    return resolved


def quality_product_evaluate(product_id: int, *, snapshot: bool = False, now=None) -> dict:
    """Bring the product's score, incidents and SLA state in line with its results. Safe to run again: an
    unchanged state opens, resolves and notifies nothing. ``snapshot`` adds a point to the history chart."""
    from django.db.models import OuterRef, Subquery

    CheckResult, _, Incident, _, QualityCheck, QualityScoreSnapshot = _quality_models()
    now = now or timezone.now()
    product = DataProduct.objects.select_related("domain").get(pk=product_id)
    score, dimensions = quality_scores(product_id)
    DataProduct.objects.filter(pk=product_id).update(quality_score=score)
    if snapshot and score is not None:
        QualityScoreSnapshot.objects.create(product=product, measured_at=now, score=score, dimensions=dimensions)
    latest = CheckResult.objects.filter(quality_check=OuterRef("pk")).order_by("-measured_at", "-id")
    checks = list(
        QualityCheck.objects.filter(product=product).annotate(
            latest_state=Subquery(latest.values("state")[:1]), latest_message=Subquery(latest.values("message")[:1])
        )
    )
    opened = resolved = 0
    for check in checks:
        breached = check.enabled and check.latest_state in ("failed", "error")
        if breached:
            verb = "could not run" if check.latest_state == "error" else "failed"
            summary = f"Check “{check.name}” {verb}: {check.latest_message or ''}".strip()
            opened += bool(_incident_open(product, check=check, summary=summary, now=now))
        elif check.latest_state == "passed" or not check.enabled:
            resolved += _incidents_resolve(Incident.objects.filter(quality_check=check), product, now=now)
    for metric in quality_sla(product, now=now):
        name = metric["metric"]
        if not metric["ok"]:
            summary = f"{name.capitalize()} SLA missed: {metric['met_percent']:g} % met, {metric['target']:g} % due"
            opened += bool(_incident_open(product, metric=name, summary=summary, now=now))
        else:
            resolved += _incidents_resolve(
                Incident.objects.filter(product=product, kind="sla_miss", metric=name), product, now=now
            )
    return {"score": score, "opened": opened, "resolved": resolved}


def quality_sweep(*, now=None, stale_after: timedelta = timedelta(minutes=10)) -> dict:
    """The safety net behind the on-commit publishing: re-send the checks of runs left unfinished (a lost
    message, a killed worker) and re-evaluate SLAs of products with checks. Safe to run again."""
    _, CheckRun, _, _, QualityCheck, _ = _quality_models()
    now = now or timezone.now()
    resumed = 0
    for run_id in (
        CheckRun.objects.exclude(status="done").filter(created_at__lt=now - stale_after).values_list("pk", flat=True)
    ):
        resumed += quality_run_execute(run_id)
    product_ids = set(QualityCheck.objects.filter(enabled=True).values_list("product_id", flat=True).distinct())
    for product_id in sorted(product_ids):
        quality_product_evaluate(product_id, now=now)
    return {"resumed": resumed, "evaluated": len(product_ids)}
