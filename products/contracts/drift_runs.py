"""Drift checks as jobs: every write about comparing ports' declared schemas with their real tables.

How it fits: ``drift_run_start`` queues a DriftRun (one active per product, one per warehouse: a second click joins
the run going); ``drift_run_execute`` cuts the ports still unchecked into leased chunks (``DriftChunk``, each one
warehouse and at most ``DRIFT_CHUNK`` ports over one connection); ``drift_chunk_execute`` holds a chunk's lease while
``drift_chunk_check`` reads the tables and records each port once (its ``PortDriftState`` names the run that counted
it); findings open once and resolve themselves (``drift_findings_sync``); the last port closes the run.
``drift_runs_sweep`` (beat, every minute) re-queues chunks whose worker died or whose message was lost;
``drift_sweep`` (beat, hourly) starts a run per warehouse.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from portal.errors import require
from portal.leases import LeaseLost, lease_complete, lease_hold, leases_sweep, work_dispatch_on_commit
from portal.services import audit_record, notify, task_enqueue_on_commit
from products.contracts import permissions
from products.contracts.drift import drift_compare, table_columns_read
from products.contracts.models import DriftChunk, DriftFinding, DriftRun, PortDriftState
from products.models import DataProduct, Membership, OutputPort, SchemaField, Warehouse
from products.warehouse import WarehouseError, warehouse_connection

DRIFT_CHUNK = 50


def drift_checkable_ports():
    """Ports the drift check can read: connected to a warehouse table, on a product that is not retired."""
    return (
        OutputPort.objects.filter(warehouse__isnull=False)
        .exclude(table="")
        .exclude(product__status=DataProduct.Status.RETIRED)
    )


def drift_run_start(*, actor, product: DataProduct | None = None, warehouse: Warehouse | None = None, trigger="manual"):
    """Queue a check of the product's ports (or, for the schedule, of a warehouse's). ``actor`` None means the
    schedule. One active run per product and per warehouse: asking again returns the run going."""
    if actor is not None:
        require(permissions.can_check_drift(actor, product), "Only the owning team checks its tables.")
    ports = drift_checkable_ports()
    ports = ports.filter(product=product) if product is not None else ports.filter(warehouse=warehouse)
    port_ids = list(ports.order_by("pk").values_list("pk", flat=True))
    scope = {"product": product} if product is not None else {"warehouse": warehouse}
    with transaction.atomic():
        existing = DriftRun.objects.filter(**scope).exclude(status=DriftRun.Status.DONE).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                run = DriftRun.objects.create(
                    **scope,
                    trigger=trigger,
                    requested_by=actor if getattr(actor, "is_authenticated", False) else None,
                    port_ids=port_ids,
                    total=len(port_ids),
                )
        except IntegrityError:
            return DriftRun.objects.filter(**scope).exclude(status=DriftRun.Status.DONE).first()
        if product is not None:
            audit_record(actor=actor, action="drift_run.start", target=product, data={"run": run.pk})
        from products.contracts.tasks import drift_run_task  # the task module imports this one

        task_enqueue_on_commit(drift_run_task, run.pk)
    return run


def drift_run_execute(run_id: int) -> int:
    """Cut the ports the run has not counted yet into leased chunks (once per run) and publish them after commit;
    returns how many chunks were made. A run that has its chunks already is left to them and to the sweep."""
    DriftRun.objects.filter(pk=run_id, status=DriftRun.Status.QUEUED).update(
        status=DriftRun.Status.RUNNING, started_at=timezone.now()
    )
    from products.contracts.tasks import drift_chunk_leased_task  # the task module imports this one

    with transaction.atomic():
        run = DriftRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status == DriftRun.Status.DONE or run.chunks.exists():
            return 0
        counted = set(PortDriftState.objects.filter(run_id=run_id).values_list("port_id", flat=True))
        todo = (
            OutputPort.objects.filter(pk__in=[pk for pk in run.port_ids if pk not in counted], warehouse__isnull=False)
            .order_by("warehouse_id", "pk")
            .values_list("warehouse_id", "pk")
        )
        groups: dict[int, list[list[int]]] = {}
        for warehouse_id, port_id in todo:
            chunks = groups.setdefault(warehouse_id, [[]])
            if len(chunks[-1]) >= DRIFT_CHUNK:
                chunks.append([])
            chunks[-1].append(port_id)
        made = DriftChunk.objects.bulk_create(
            DriftChunk(run=run, warehouse_id=warehouse_id, port_ids=port_ids)
            for warehouse_id, chunks in groups.items()
            for port_ids in chunks
        )
        if made:
            work_dispatch_on_commit(drift_chunk_leased_task, DriftChunk, [chunk.pk for chunk in made])
    if not made:
        # Ports that left the run (deleted, disconnected) count as done, so the run can close.
        DriftRun.objects.filter(pk=run_id).update(completed=F("total"))
        drift_run_finish(run_id)
    return len(made)


def drift_chunk_execute(chunk_id: int) -> int:
    """Read one leased chunk's tables. Each port is recorded once by its own transaction (``_port_record``), so a
    chunk re-run after its worker died only reads the ports still uncounted. Returns how many ports were recorded."""
    with lease_hold(DriftChunk, chunk_id) as lease:
        if lease is None:
            return 0
        chunk = DriftChunk.objects.get(pk=chunk_id)
        recorded = drift_chunk_check(chunk.run_id, chunk.warehouse_id, chunk.port_ids)
        try:
            with transaction.atomic():
                lease_complete(lease)
        except LeaseLost:  # too slow: the chunk went to another worker, which finds these ports counted
            return recorded
    return recorded


def _chunk_given_up(chunk: DriftChunk) -> None:
    """A chunk that stopped its worker on every attempt: its uncounted ports are recorded as unreadable (their
    findings stay as they were), so the run still finishes and the team sees why."""
    run = DriftRun.objects.filter(pk=chunk.run_id).first()
    if run is None:
        return
    reason = f"The check could not finish after {chunk.attempts} attempts; it runs again at the next schedule."
    now = timezone.now()
    ports = OutputPort.objects.filter(pk__in=chunk.port_ids).select_related("warehouse")
    for port in ports:
        _port_record(run, port, None, reason, port.warehouse.engine if port.warehouse else "", now)
    missing = len(set(chunk.port_ids) - {port.pk for port in ports})
    if missing:
        DriftRun.objects.filter(pk=run.pk).update(completed=F("completed") + missing)
    drift_run_finish(run.pk)


def drift_runs_sweep(*, now=None, lost_after: timedelta = timedelta(minutes=1)) -> dict:
    """Every minute: cut runs without chunks into chunks (a lost first message), re-queue chunks whose worker died (lease expired) or
    whose message was lost, give up chunks out of attempts, and close runs whose ports are all counted."""
    from products.contracts.tasks import drift_chunk_leased_task  # the task module imports this one

    now = now or timezone.now()
    started = 0
    # A run with no chunks yet: its first message was lost, or it was started before chunks were leased.
    unchunked = DriftRun.objects.exclude(status=DriftRun.Status.DONE).filter(
        created_at__lt=now - lost_after, chunks__isnull=True
    )
    for run_id in unchunked.values_list("pk", flat=True):
        started += drift_run_execute(run_id) > 0
    unfinished = DriftChunk.objects.exclude(run__status=DriftRun.Status.DONE)
    result = leases_sweep(DriftChunk, drift_chunk_leased_task, queryset=unfinished, on_failed=_chunk_given_up, now=now)
    for run_id in DriftRun.objects.filter(status=DriftRun.Status.RUNNING).values_list("pk", flat=True):
        drift_run_finish(run_id)
    return {"started": started, **result.as_dict()}


def drift_chunk_check(run_id: int, warehouse_id: int, port_ids: list[int], *, now=None) -> int:
    """Read the tables of ``port_ids`` (one warehouse, one connection) and record each port not yet counted by
    the run. Safe to run again: a port already counted is skipped. Returns how many ports were recorded."""
    now = now or timezone.now()
    run = DriftRun.objects.filter(pk=run_id).exclude(status=DriftRun.Status.DONE).first()
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if run is None or warehouse is None:
        return 0
    counted = set(PortDriftState.objects.filter(run_id=run_id, port_id__in=port_ids).values_list("port_id", flat=True))
    ports = list(
        OutputPort.objects.filter(pk__in=[pk for pk in port_ids if pk not in counted], warehouse=warehouse)
        .prefetch_related(Prefetch("fields", queryset=SchemaField.objects.order_by("position", "pk")))
        .select_related("product")
        .order_by("pk")
    )
    if not ports:
        drift_run_finish(run_id)
        return 0
    readings: dict[int, tuple] = {}
    try:
        with warehouse_connection(warehouse) as conn:
            for port in ports:
                try:
                    readings[port.pk] = (table_columns_read(conn, warehouse.engine, port.table), "")
                except WarehouseError as error:
                    readings[port.pk] = (None, str(error)[:500] or "The table could not be read.")
    except WarehouseError as error:
        readings = {port.pk: (None, str(error)[:500] or "The warehouse could not be reached.") for port in ports}
    recorded = 0
    for port in ports:
        observed, error = readings[port.pk]
        recorded += _port_record(run, port, observed, error, warehouse.engine, now)
    drift_run_finish(run_id)
    return recorded


def _port_record(run: DriftRun, port: OutputPort, observed, error: str, engine: str, now) -> bool:
    """Record one port's reading for ``run`` exactly once: the state row is locked, and a port this run already
    counted is left alone. A table that could not be read changes no finding."""
    PortDriftState.objects.get_or_create(port=port)
    with transaction.atomic():
        state = PortDriftState.objects.select_for_update().get(port=port)
        if state.run_id == run.pk:
            return False
        state.run, state.checked_at, state.error = run, now, error
        state.table_found = observed is not None
        state.observed = observed or []
        state.save()
        if not error:
            declared = [
                {"name": field.name, "data_type": field.data_type, "nullable": field.nullable}
                for field in port.fields.all()
            ]
            drift_findings_sync(port, drift_compare(declared, observed, engine), now=now)
        DriftRun.objects.filter(pk=run.pk).update(
            completed=F("completed") + 1, failed=F("failed") + (1 if error else 0)
        )
    return True


def drift_findings_sync(port: OutputPort, differences, *, now) -> tuple[int, int]:
    """Open a finding for each difference not already open, resolve open ones no longer found. Returns
    (opened, resolved). The owning team hears of each new finding once."""
    open_findings = {(f.kind, f.column): f for f in DriftFinding.objects.filter(port=port, resolved_at=None)}
    wanted = {(d.kind, d.column): d for d in differences}
    opened, resolved = [], 0
    for key, difference in wanted.items():
        finding = open_findings.get(key)
        if finding is not None:
            DriftFinding.objects.filter(pk=finding.pk).update(
                last_seen_at=now, declared=difference.declared[:100], actual=difference.actual[:100]
            )
            continue
        try:
            with transaction.atomic():
                opened.append(
                    DriftFinding.objects.create(
                        port=port,
                        kind=difference.kind,
                        column=difference.column[:100],
                        declared=difference.declared[:100],
                        actual=difference.actual[:100],
                        summary=difference.summary[:300],
                        opened_at=now,
                        last_seen_at=now,
                    )
                )
        except IntegrityError:  # opened meanwhile by a concurrent check
            continue
    for key, finding in open_findings.items():
        if key not in wanted and DriftFinding.objects.filter(pk=finding.pk, resolved_at=None).update(resolved_at=now):
            resolved += 1
            audit_record(actor=None, action="drift.resolve", target=port.product, comment=_audit_note(port, finding))
    if opened:
        product = port.product
        for finding in opened:
            audit_record(actor=None, action="drift.open", target=product, comment=_audit_note(port, finding))
        members = Membership.objects.filter(team_id=product.owner_team_id, user__is_active=True)
        notify(
            [m.user_id for m in members],
            kind="contract.drift",
            title=f"{product.name} / {port.name}: the table no longer matches its contract"[:200],
            body="\n".join(f"- {finding.summary}" for finding in opened),
            url=product.get_absolute_url() + "#contract",
            dedupe_key=f"drift:{port.pk}:{','.join(str(f.pk) for f in opened)}",
        )
    return len(opened), resolved


def _audit_note(port: OutputPort, finding: DriftFinding) -> str:
    """The history line (read by everyone who sees the product): the kind, never a column of the real table."""
    return f"{port.name}: {finding.get_kind_display().lower()}"


def drift_run_finish(run_id: int) -> bool:
    """Close the run once every port is counted (a conditional update: exactly once)."""
    return bool(
        DriftRun.objects.filter(pk=run_id, completed__gte=F("total"))
        .exclude(status=DriftRun.Status.DONE)
        .update(status=DriftRun.Status.DONE, finished_at=timezone.now())
    )


def drift_sweep(*, now=None) -> dict:
    """The schedule: the lease sweep (also run every minute on its own), then a run per warehouse with ports."""
    now = now or timezone.now()
    swept = drift_runs_sweep(now=now, lost_after=timedelta(0))
    started = 0
    warehouse_ids = drift_checkable_ports().values_list("warehouse_id", flat=True).distinct()
    for warehouse in Warehouse.objects.filter(pk__in=warehouse_ids).order_by("pk"):
        drift_run_start(actor=None, warehouse=warehouse, trigger=DriftRun.Trigger.SCHEDULE)
        started += 1
    return {"resumed": swept["started"] + swept["requeued"] + swept["redispatched"], "started": started}


def drift_run_inline(run_id: int) -> DriftRun:
    """Run every chunk of ``run_id`` in this process (the demo seed; a shell without workers)."""
    run = DriftRun.objects.get(pk=run_id)
    groups: dict[int, list[int]] = {}
    for port_id, warehouse_id in OutputPort.objects.filter(pk__in=run.port_ids).values_list("pk", "warehouse_id"):
        if warehouse_id:
            groups.setdefault(warehouse_id, []).append(port_id)
    for warehouse_id, port_ids in groups.items():
        drift_chunk_check(run_id, warehouse_id, port_ids)
    DriftRun.objects.filter(pk=run_id).exclude(status=DriftRun.Status.DONE).update(completed=F("total"))
    drift_run_finish(run_id)
    run.refresh_from_db()
    return run
