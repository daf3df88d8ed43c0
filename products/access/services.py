"""Every write to access: requests, decisions, grants, expiry and provisioning. One transaction and one audit row
per move.

Lifecycle: a request is pending until an approver decides (or the requester withdraws, or it waits too long and
expires); approval creates a grant (one per request: a OneToOne makes it a database fact) which is active until it
expires or an owner revokes it. Renewal: the grantee files a new request with ``renewal_of`` set; approving it
extends that grant's expiry (from its current expiry, or from now if later) instead of creating a second grant, so
"My access" and the Access tab keep one row per person and port. If the grant ended meanwhile, the approval creates a
fresh grant. Provisioning runs in a task published on commit.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal.errors import DomainError, TransitionNotAllowed, require
from portal.services import audit_record, notify, task_enqueue_on_commit
from products.access import permissions
from products.access.models import AccessApproval, AccessGrant, AccessRequest, Clearance
from products.access.provisioning import PostgresProvisioner, ProvisioningError, provisioners_for
from products.models import Classification, DataProduct, OutputPort, Warehouse
from products.warehouse import checker_role

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
NOT_A_DECIDER = "You are not among this request's approvers (and nobody decides their own request)."


def access_request_approvers_tell(access_request: AccessRequest, *, kind: str, title: str, body: str = "") -> int:
    """Tell everyone who may decide ``access_request`` now (``permissions.access_request_approvers``), each once
    per request whatever the step: a second step tells only the people who were not told yet."""
    return notify(
        permissions.access_request_approvers(access_request).values_list("pk", flat=True),
        kind=kind,
        title=title,
        body=body,
        url=access_request.get_absolute_url(),
        dedupe_key=f"access-request-decide:{access_request.pk}",
    )


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
    if port.product.classification == Classification.RESTRICTED:
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
    # The product row locked: a retirement running now either sees this request or refuses it.
    port.product = product = DataProduct.objects.select_for_update().get(pk=port.product_id)
    permissions.port_served_require(port)
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
        approvals_required=2 if product.classification == Classification.RESTRICTED else 1,
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
    access_request_approvers_tell(
        access_request,
        kind="access.request",
        title=f"{actor.get_full_name() or actor.username} asks for access to {product.name} / {port.name}",
        body=purpose,
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
    _request_transition_check(access_request, RequestStatus.APPROVED)
    if access_request.approvals.filter(approver=actor).exists():
        raise DomainError("You have already approved this request; a second approver is needed.")
    require(permissions.can_decide_access_request(actor, access_request), NOT_A_DECIDER)
    permissions.port_served_require(access_request.port)
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
        access_request_approvers_tell(
            access_request,
            kind="access.second_approval",
            title=f"Request #{access_request.pk} for {product.name} needs a second approval",
            body=f"{actor.get_full_name() or actor.username} approved it first.",
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
    unmasked = access_request.wants_unmasked_pii and has_valid_clearance(
        access_request.requester, Clearance.Kind.GDPR, now=now
    )
    duration = timedelta(days=access_request.duration_days)
    renewed = access_request.renewal_of
    if renewed is not None:
        renewed = AccessGrant.objects.select_for_update().get(pk=renewed.pk)
    if access_request.upgrades:
        if renewed is None or not renewed.is_live(now):
            raise DomainError("The grant this request upgrades has ended; request access anew.")
        renewed.unmasked_pii = unmasked
        renewed.provisioning_state = Provisioning.PENDING
        renewed.save(update_fields=["unmasked_pii", "provisioning_state"])
        grant = renewed
        audit_record(actor=None, action="grant.upgrade", target=grant, data={"request": access_request.pk})
    elif renewed is not None and renewed.status == GrantStatus.ACTIVE:
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
    from products.access.tasks import grant_provisioning_sync_task  # the task module imports this one

    task_enqueue_on_commit(grant_provisioning_sync_task, grant.pk)
    return grant


@transaction.atomic
def access_request_reject(*, actor, access_request: AccessRequest, note: str = "", now=None) -> AccessRequest:
    now = now or timezone.now()
    access_request = _lock_request(access_request)
    require(permissions.can_decide_access_request(actor, access_request), NOT_A_DECIDER)
    _request_transition_check(access_request, RequestStatus.REJECTED)
    if not note.strip():
        raise DomainError("Tell the requester why.", field="note")
    _reject(access_request, actor=actor, note=note.strip(), now=now)
    return access_request


def _reject(access_request: AccessRequest, *, actor, note: str, now) -> None:
    """Reject a pending request (``actor`` None: the portal) and tell the requester, once."""
    _set_request_status(access_request, RequestStatus.REJECTED, actor=actor, note=note, now=now)
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
                permissions.access_request_approvers(access_request).values_list("pk", flat=True),
                kind="access.reminder",
                title=f"Reminder: request #{access_request.pk} for {access_request.port.product.name} awaits you",
                url=access_request.get_absolute_url(),
                dedupe_key=f"access-request-reminder:{access_request.pk}",
            )
    return {"expired": expired, "reminded": reminded}


def _end_grant(grant: AccessGrant, to_status: str, *, actor=None, reason: str = "", now) -> AccessGrant:
    _grant_transition_check(grant, to_status)
    from_status = grant.status
    grant.status, grant.ended_at, grant.end_reason = to_status, now, reason[:300]
    grant.ended_by = actor if getattr(actor, "pk", None) else None
    grant.provisioning_attempts, grant.provisioning_retry_at = 0, None  # a new aim: deprovision, at once
    grant.save(
        update_fields=["status", "ended_at", "end_reason", "ended_by", "provisioning_attempts", "provisioning_retry_at"]
    )
    audit_record(
        actor=actor,
        action=f"grant.{'revoke' if to_status == GrantStatus.REVOKED else 'expire'}",
        target=grant,
        from_state=from_status,
        to_state=to_status,
        comment=reason,
    )
    from products.access.tasks import grant_provisioning_sync_task  # the task module imports this one

    task_enqueue_on_commit(grant_provisioning_sync_task, grant.pk)
    return grant


@transaction.atomic
def grant_revoke(*, actor, grant: AccessGrant, reason: str = "", now=None) -> AccessGrant:
    """End a grant now. Reading through the portal stops with the next request; the warehouse REVOKE follows
    in the provisioning task (and the sweep retries it until it succeeds)."""
    now = now or timezone.now()
    grant = AccessGrant.objects.select_for_update().select_related("port__product").get(pk=grant.pk)
    require(permissions.can_revoke_grant(actor, grant), "Only the owning team's owners and approvers revoke.")
    _revoke(grant, actor=actor, reason=reason.strip(), now=now)
    return grant


def _revoke(grant: AccessGrant, *, actor, reason: str, now) -> None:
    """End a locked grant as revoked (``actor`` None: the portal), deprovision it on commit, tell the grantee once."""
    _end_grant(grant, GrantStatus.REVOKED, actor=actor, reason=reason, now=now)
    notify(
        [grant.user_id],
        kind="access.revoked",
        title=f"Your access to {grant.port.product.name} / {grant.port.name} was revoked",
        body=reason,
        url=reverse("products:my-access"),
        dedupe_key=f"grant-revoked:{grant.pk}",
    )


RETIRED_REASON = "The product was retired."


PORT_RETIRED_REASON = "The port was retired at its sunset; its successor serves the data."


def product_access_end(*, product: DataProduct, port: OutputPort | None = None, now=None) -> dict:
    """A retired product serves no data (``permissions.is_port_served``), so nobody keeps access to it; the same
    for one retired port (``port``) of a product that lives on.

    Runs inside the retirement's transaction (``products.access.receivers``), the product row locked:
    1. every active grant on its ports is revoked by the portal, as any revoke: the warehouse REVOKE and the webhook
       events follow on commit through the provisioning task (and the sweep retries them);
    2. every pending request on its ports is rejected by the portal with a note.
    Each grantee and requester is told once. Running it again finds nothing left to end."""
    now = now or timezone.now()
    scope = {"port__product": product} if port is None else {"port": port}
    reason = RETIRED_REASON if port is None else PORT_RETIRED_REASON
    grants = (
        AccessGrant.objects.select_for_update(of=("self",))
        .select_related("port__product")
        .filter(**scope, status=GrantStatus.ACTIVE)
        .order_by("pk")
    )
    revoked = 0
    for grant in grants:
        _revoke(grant, actor=None, reason=reason, now=now)
        revoked += 1
    pending = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("port__product")
        .filter(**scope, status=RequestStatus.PENDING)
        .order_by("pk")
    )
    rejected = 0
    for access_request in pending:
        _reject(access_request, actor=None, note=f"{reason} Its data is no longer served.", now=now)
        rejected += 1
    return {"revoked": revoked, "rejected": rejected}


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
            first_failure = grant.provisioning_attempts == 0
            grant.provisioning_state, grant.provisioning_error = Provisioning.FAILED, str(error)[:2000]
            grant.provisioning_attempts += 1
            grant.provisioning_retry_at = now + provisioning_backoff(grant.provisioning_attempts)
            grant.save(
                update_fields=[
                    "provisioning_state",
                    "provisioning_error",
                    "provisioning_attempts",
                    "provisioning_retry_at",
                ]
            )
            if first_failure:  # one audit row per streak of failures, not one per retry
                audit_record(actor=None, action="grant.provisioning_failed", target=grant, data={"wanted": wanted})
            return Provisioning.FAILED
        grant.provisioning_state, grant.provisioning_error = wanted, ""
        grant.provisioning_attempts, grant.provisioning_retry_at = 0, None
        if active:
            grant.provisioned_at = now
        grant.save(
            update_fields=[
                "provisioning_state",
                "provisioning_error",
                "provisioned_at",
                "provisioning_attempts",
                "provisioning_retry_at",
            ]
        )
        audit_record(
            actor=None,
            action=f"grant.{wanted}",
            target=grant,
            data={"backends": [type(backend).__name__ for backend in backends]},
        )
        return wanted


PROVISIONING_BACKOFF_BASE = timedelta(minutes=1)
PROVISIONING_BACKOFF_MAX = timedelta(hours=6)


def provisioning_backoff(attempts: int) -> timedelta:
    """How long the sweep waits after the ``attempts``-th failure in a row: 1, 2, 4 … minutes, at most 6 hours."""
    return min(PROVISIONING_BACKOFF_BASE * (2 ** max(attempts - 1, 0)), PROVISIONING_BACKOFF_MAX)


def grants_needing_sync(*, now=None):
    """Grants whose platform state lags behind: active but not provisioned, or ended but not deprovisioned; one
    that failed waits out its backoff."""
    return AccessGrant.objects.filter(
        Q(status=GrantStatus.ACTIVE, provisioning_state__in=[Provisioning.PENDING, Provisioning.FAILED])
        | (~Q(status=GrantStatus.ACTIVE) & ~Q(provisioning_state=Provisioning.DEPROVISIONED))
    ).filter(Q(provisioning_retry_at__isnull=True) | Q(provisioning_retry_at__lte=now or timezone.now()))


def warehouse_checkers_provision(*, actor, warehouse: Warehouse) -> list[str]:
    """Give every port of a PostgreSQL ``warehouse`` its checker role, the only rights its quality checks run
    with (see ``PostgresProvisioner.checkers_sync``); returns the roles. Safe to run again: an administrator runs
    it after connecting ports (admin action on the warehouse). Refuses, naming the reason, when the warehouse is
    not PostgreSQL or the warehouse refused a statement."""
    require(permissions.can_provision_warehouse(actor), "Only portal administrators provision warehouses.")
    if warehouse.engine != Warehouse.Engine.POSTGRESQL:
        raise DomainError("Only PostgreSQL warehouses have checker roles; SQLite checks are confined in the portal.")
    ports = list(OutputPort.objects.filter(warehouse=warehouse).exclude(table="").order_by("pk"))
    elsewhere = frozenset(
        checker_role(port_id)
        for port_id in OutputPort.objects.filter(warehouse__engine=Warehouse.Engine.POSTGRESQL)
        .exclude(warehouse=warehouse)
        .values_list("pk", flat=True)
    )
    try:
        roles = PostgresProvisioner(warehouse).checkers_sync(ports, elsewhere=elsewhere)
    except ProvisioningError as error:
        raise DomainError(f"The warehouse refused: {error}") from error
    audit_record(actor=actor, action="warehouse.checkers_provision", target=warehouse, data={"ports": len(roles)})
    return roles
