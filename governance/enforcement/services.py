"""Every write of enforcement: starting a run and running, sweeping and failing its chunks, asking for and deciding waivers, letting them lapse, and choosing a
standard's auto-action. Each checks its permission, runs in a transaction and writes an audit row."""

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from governance.enforcement import permissions
from governance.enforcement.engine import EVALUATED_STATUSES, products_evaluate, run_finish_if_done
from governance.enforcement.models import EnforcementChunk, EnforcementRun, StandardEnforcement, Waiver
from governance.models import Seat, Standard
from portal.errors import DomainError, TransitionNotAllowed, require
from portal.leases import LeaseLost, lease_complete, lease_hold, leases_sweep, work_dispatch_on_commit
from portal.permissions import portal_admin_ids
from portal.services import audit_record, notify
from products.models import DataProduct

logger = logging.getLogger(__name__)
ENFORCEMENT_CHUNK_SIZE = 500


def enforcement_run_start(
    *, actor=None, trigger: str = EnforcementRun.Trigger.SCHEDULE, chunk_size: int = ENFORCEMENT_CHUNK_SIZE
):
    """Start an enforcement run over every product not retired, fanned out in chunks of ``chunk_size`` ids, or return
    the run already going: one run runs at a time whoever asks (the page, the API, one beat or two), because a partial
    unique constraint allows one row in "running" and a second start that loses the race returns the winner's run.

    Each chunk is an ``EnforcementChunk`` row leased by the worker that takes it (``portal.leases``); the chunk tasks
    are published after commit, and ``enforcement_runs_sweep`` (every minute) re-queues chunks whose worker died or
    whose publish was lost, closes runs whose chunks are all done and fails runs with a chunk out of attempts. No
    chord and no result backend: each chunk counts into the run with F() and the one that completes it closes it
    (``engine.run_finish_if_done``). Returns the run.
    """
    from governance.enforcement import tasks

    if actor is not None:
        require(permissions.can_start_enforcement_run(actor), "Only admins start enforcement runs.")
    if chunk_size < 1:
        raise DomainError("The chunk size must be at least 1.", field="chunk_size")
    now = timezone.now()
    with transaction.atomic():
        running = EnforcementRun.objects.filter(status=EnforcementRun.Status.RUNNING).first()
        if running is not None:
            return running
        ids = list(
            DataProduct.objects.filter(status__in=EVALUATED_STATUSES).order_by("pk").values_list("pk", flat=True)
        )
        slices = [ids[start : start + chunk_size] for start in range(0, len(ids), chunk_size)]
        try:
            with transaction.atomic():
                run = EnforcementRun.objects.create(
                    trigger=trigger,
                    started_by=actor if getattr(actor, "is_authenticated", False) else None,
                    started_at=now,
                    chunk_size=chunk_size,
                    products_total=len(ids),
                    chunks_total=len(slices),
                )
        except IntegrityError:  # another start won the race: its run is the one going (or just gone)
            return (
                EnforcementRun.objects.filter(status=EnforcementRun.Status.RUNNING).first()
                or EnforcementRun.objects.order_by("-pk").first()
            )
        chunks = EnforcementChunk.objects.bulk_create(
            EnforcementChunk(run=run, index=index, product_ids=product_ids, created_at=now)
            for index, product_ids in enumerate(slices)
        )
        audit_record(
            actor=actor,
            action="enforcement.run_start",
            target=run,
            to_state=run.status,
            data={"products": len(ids), "chunks": len(slices), "trigger": trigger},
        )
        work_dispatch_on_commit(tasks.enforcement_chunk, EnforcementChunk, [chunk.pk for chunk in chunks])
    if not slices:
        run_finish_if_done(run.pk)
        run.refresh_from_db()
    return run


def enforcement_chunk_execute(chunk_id: int) -> int:
    """Evaluate one chunk under its lease; returns the products checked (0 when another worker holds the chunk or it
    is done). The evaluation, the run's counters and the chunk's "done" commit together, and only while the lease is
    this worker's, so a chunk delivered twice, or re-run after its worker died, counts once and leaves exactly the
    violations a clean run leaves."""
    with lease_hold(EnforcementChunk, chunk_id) as lease:
        if lease is None:
            return 0
        chunk = EnforcementChunk.objects.select_related("run").get(pk=chunk_id)
        try:
            with transaction.atomic():
                checked = 0
                if chunk.run.status == EnforcementRun.Status.RUNNING:
                    checked = products_evaluate(chunk.product_ids, run_id=chunk.run_id).checked
                lease_complete(lease)
        except LeaseLost:  # this worker was too slow: the chunk went to another, whose evaluation counts
            logger.warning("enforcement chunk %s: lease lost, evaluation rolled back", chunk_id)
            return 0
        return checked


def enforcement_run_fail(run_id: int, *, reason: str) -> bool:
    """Mark a running run failed with ``reason`` and tell the admins, once (conditional update)."""
    with transaction.atomic():
        if not EnforcementRun.objects.filter(pk=run_id, status=EnforcementRun.Status.RUNNING).update(
            status=EnforcementRun.Status.FAILED, finished_at=timezone.now(), failure_reason=reason[:2000]
        ):
            return False
        run = EnforcementRun.objects.get(pk=run_id)
        audit_record(
            actor=None,
            action="enforcement.run_fail",
            target=run,
            from_state=EnforcementRun.Status.RUNNING,
            to_state=EnforcementRun.Status.FAILED,
            comment=reason[:500],
        )
        notify(
            portal_admin_ids(),
            kind="governance.enforcement_run_failed",
            title=f"Enforcement run {run.pk} failed",
            body=reason,
            url=reverse("governance:enforcement-run-list"),
            dedupe_key=f"enforcement-run-{run.pk}-failed",
        )
    return True


def enforcement_runs_sweep() -> dict:
    """Every minute: re-queue the chunks of running runs whose worker died (lease expired) or whose message was lost,
    fail a run whose chunk ran out of attempts, and close runs whose chunks are all done. Safe to run twice."""
    from governance.enforcement import tasks

    def chunk_failed(chunk) -> None:
        enforcement_run_fail(
            chunk.run_id,
            reason=f"Chunk {chunk.index + 1} of the run failed {chunk.attempts} times; last error: {chunk.last_error}",
        )

    running = EnforcementChunk.objects.filter(run__status=EnforcementRun.Status.RUNNING)
    result = leases_sweep(EnforcementChunk, tasks.enforcement_chunk, queryset=running, on_failed=chunk_failed)
    finished = 0
    for run_id in EnforcementRun.objects.filter(status=EnforcementRun.Status.RUNNING).values_list("pk", flat=True):
        finished += run_finish_if_done(run_id)
    return {**result.as_dict(), "finished": finished}


def waiver_request(*, actor, product, standard_code: str, reason: str, expires_at):
    """An owner asks for an exception to one standard (not the baseline) for one product, until ``expires_at``."""
    require(permissions.can_request_waiver(actor, product), "Only the product's team asks for a waiver.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the product cannot meet the standard yet.", field="reason")
    now = timezone.now()
    if expires_at is None or expires_at <= now:
        raise DomainError("The waiver must expire in the future.", field="expires_at")
    if expires_at > now + timedelta(days=Waiver.MAX_DAYS):
        raise DomainError(f"A waiver lasts at most {Waiver.MAX_DAYS} days.", field="expires_at")
    if not Standard.objects.filter(code=standard_code, status=Standard.Status.IN_FORCE).exists():
        raise DomainError(f"{standard_code} is not a standard in force.", field="standard_code")
    with transaction.atomic():
        DataProduct.objects.select_for_update().get(pk=product.pk)
        if Waiver.objects.filter(
            product=product, standard_code=standard_code, status__in=[Waiver.Status.REQUESTED, Waiver.Status.APPROVED]
        ).exists():
            raise DomainError(f"{product} already has a waiver of {standard_code} pending or granted.")
        waiver = Waiver.objects.create(
            product=product, standard_code=standard_code, reason=reason, requested_by=actor, expires_at=expires_at
        )
        audit_record(
            actor=actor,
            action="waiver.request",
            target=waiver,
            to_state=waiver.status,
            data={"product": product.pk, "standard": standard_code, "expires_at": expires_at.isoformat()},
        )
        chairs = Seat.objects.filter(is_chair=True, holder__is_active=True).values_list("holder_id", flat=True)
        notify(
            list(chairs),
            kind="governance.waiver_requested",
            title=f"Waiver requested: {standard_code} for {product.name}"[:200],
            body=reason,
            url=waiver_url(),
            dedupe_key=f"waiver-{waiver.pk}-requested",
        )
    return waiver


def waiver_url() -> str:
    return reverse("governance:waiver-list")


def waiver_decide(*, actor, waiver, approve: bool, note: str = ""):
    """The chair (or an admin) approves or rejects a requested waiver, once; the requester cannot decide it."""
    with transaction.atomic():
        waiver = Waiver.objects.select_for_update().select_related("product").get(pk=waiver.pk)
        require(permissions.can_decide_waiver(actor, waiver), "Only the council chair decides waivers.")
        if waiver.requested_by_id == actor.pk:
            raise PermissionDenied("Nobody decides their own waiver.")
        if waiver.status != Waiver.Status.REQUESTED:
            raise TransitionNotAllowed(f"This waiver was already {waiver.get_status_display().lower()}.")
        to_status = Waiver.Status.APPROVED if approve else Waiver.Status.REJECTED
        if approve and waiver.expires_at <= timezone.now():
            raise DomainError("This waiver's expiry has passed: ask for a new one.")
        waiver.status = to_status
        waiver.decided_by = actor
        waiver.decided_at = timezone.now()
        waiver.decision_note = note or ""
        waiver.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action=f"waiver.{'approve' if approve else 'reject'}",
            target=waiver,
            from_state=Waiver.Status.REQUESTED,
            to_state=to_status,
            comment=note,
            data={"product": waiver.product_id, "standard": waiver.standard_code},
        )
        notify(
            [waiver.requested_by_id],
            kind="governance.waiver_decided",
            title=f"Waiver {to_status}: {waiver.standard_code} for {waiver.product.name}"[:200],
            body=note,
            url=waiver_url(),
            dedupe_key=f"waiver-{waiver.pk}-decided",
        )
        products_evaluate([waiver.product_id])
    return waiver


def waivers_expire(*, now=None) -> int:
    """Approved waivers past their expiry become expired (conditional update: safe twice); their products are
    re-evaluated so the violation blocks again. Returns how many expired."""
    now = now or timezone.now()
    due = list(
        Waiver.objects.filter(status=Waiver.Status.APPROVED, expires_at__lte=now).values_list("pk", "product_id")
    )
    expired = 0
    for waiver_id, product_id in due:
        with transaction.atomic():
            if not Waiver.objects.filter(pk=waiver_id, status=Waiver.Status.APPROVED).update(
                status=Waiver.Status.EXPIRED
            ):
                continue
            waiver = Waiver.objects.get(pk=waiver_id)
            audit_record(
                actor=None,
                action="waiver.expire",
                target=waiver,
                from_state=Waiver.Status.APPROVED,
                to_state=Waiver.Status.EXPIRED,
                data={"product": product_id, "standard": waiver.standard_code},
            )
            expired += 1
    if due:
        products_evaluate([product_id for _pk, product_id in due], now=now)
    return expired


def standard_auto_action_set(*, actor, code: str, auto_action: str):
    """Choose what happens to published products once a blocker's grace is over (admins; audited)."""
    require(permissions.can_configure_auto_actions(actor), "Only admins configure auto-actions.")
    if auto_action not in StandardEnforcement.AutoAction.values:
        raise DomainError(f"Choose one of {', '.join(StandardEnforcement.AutoAction.values)}.", field="auto_action")
    if not Standard.objects.filter(code=code).exists():
        raise DomainError(f"No standard {code}.", field="code")
    with transaction.atomic():
        setting, _created = StandardEnforcement.objects.select_for_update().get_or_create(code=code)
        previous = setting.auto_action if not _created else StandardEnforcement.AutoAction.NONE
        setting.auto_action = auto_action
        setting.updated_by = actor
        setting.save()
        audit_record(
            actor=actor,
            action="standard.auto_action",
            target=setting,
            from_state=previous,
            to_state=auto_action,
            data={"code": code},
        )
    return setting
