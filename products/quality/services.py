"""Every write to quality: checks, runs, results, scores and incidents.

How it fits: ``quality_run_start`` queues a CheckRun; ``quality_run_execute`` fans out one task per check;
``quality_check_record`` runs one check read-only and records its result once per run (a unique constraint); the
task that completes the run evaluates the product: score snapshot, ``DataProduct.quality_score``, breach incidents
and SLA misses. Pushed results (``quality_results_push``) go through the same evaluation.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit_diff import audit_changes, audit_snapshot
from portal.errors import DomainError, require
from portal.leases import LeaseLost, lease_complete, lease_hold, leases_sweep, work_dispatch_on_commit
from portal.services import audit_record, notify, task_enqueue_on_commit
from products.models import DataProduct, Membership, OutputPort
from products.quality import permissions
from products.quality.models import (
    CheckResult,
    CheckRun,
    CheckRunItem,
    Incident,
    ProductIngestToken,
    QualityCheck,
    QualityScoreSnapshot,
)
from products.quality.runner import Outcome, check_execute, params_validate
from products.quality.scoring import weighted_scores
from products.services import product_quality_score_set
from products.webhooks import webhook_event_record

Kind = QualityCheck.Kind
State = CheckResult.State

QUALITY_SCHEDULE_PREFIX = "Quality checks: "
QUALITY_WINDOW_DAYS = 30
QUALITY_PUSH_MAX = 500
QUALITY_CHECK_FIELDS = ("name", "kind", "port", "column", "params", "severity", "dimension", "enabled")


@transaction.atomic
def quality_check_save(*, actor, product: DataProduct, check=None, **data):
    """Create or change a check of ``product``. The port must be the product's own, and every check but a pushed
    one needs it (a check reads its port's table and nothing else); params are validated per kind; custom SQL
    must be one SELECT. Refusals are DomainErrors naming the field."""
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    require(permissions.can_manage_quality_checks(actor, product), "Only the owning team manages its checks.")
    unknown = set(data) - set(QUALITY_CHECK_FIELDS)
    if unknown:
        raise DomainError(f"Unknown check fields: {', '.join(sorted(unknown))}.")
    if check is not None:
        check = QualityCheck.objects.select_for_update().get(pk=check.pk, product=product)
    else:
        check = QualityCheck(product=product)
    before = audit_snapshot(check, data) if check.pk else {}
    for name, value in data.items():
        setattr(check, name, value)
    if check.port_id and not OutputPort.objects.filter(pk=check.port_id, product=product).exists():
        raise DomainError("Choose one of this product's ports.", field="port")
    if check.kind != Kind.EXTERNAL and check.port_id is None:  # custom SQL too: it may read its port's table only
        raise DomainError("This kind of check runs on a port's table: choose a port.", field="port")
    check.params = params_validate(check.kind, check.column or "", check.params or {})
    if QualityCheck.objects.filter(product=product, name=check.name).exclude(pk=check.pk).exists():
        raise DomainError(f"This product already has a check called “{check.name}”.", field="name")
    creating = check.pk is None
    check.full_clean(exclude=["product", "port"])
    check.save()
    # A check's parameters (its SQL, say) are for its editors: the history names them as changed, without values.
    changes = [] if creating else audit_changes(before, audit_snapshot(check, data), hidden={"params"})
    audit_record(
        actor=actor,
        action="quality_check.create" if creating else "quality_check.update",
        target=product,
        data={"check": check.name, "kind": check.kind, "changes": changes},
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

    wanted = (
        QualityCheck.objects.filter(product=product, enabled=True).exclude(kind=QualityCheck.Kind.EXTERNAL).exists()
    )
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
    if actor is not None:
        require(permissions.can_run_quality_checks(actor, product), "Only the owning team runs its checks.")
    check_ids = list(
        QualityCheck.objects.filter(product=product, enabled=True)
        .exclude(kind=QualityCheck.Kind.EXTERNAL)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        existing = CheckRun.objects.filter(product=product).exclude(status=CheckRun.Status.DONE).first()
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
            return CheckRun.objects.filter(product=product).exclude(status=CheckRun.Status.DONE).first()
        audit_record(actor=actor, action="quality_run.start", target=product, data={"run": run.pk})
        from products.quality.tasks import quality_run_task  # the task module imports this one

        task_enqueue_on_commit(quality_run_task, run.pk)
    return run


def quality_run_execute(run_id: int) -> int:
    """Lease out the run's checks: one ``CheckRunItem`` per check, each published after commit to whichever worker
    takes it (one slow table holds up nothing else); returns how many were sent. Safe to run again."""
    from products.quality.tasks import quality_check_task  # the task module imports this one

    now = timezone.now()
    with transaction.atomic():
        CheckRun.objects.filter(pk=run_id, status=CheckRun.Status.QUEUED).update(
            status=CheckRun.Status.RUNNING, started_at=now
        )
        run = CheckRun.objects.filter(pk=run_id).first()
        if run is None or run.status == CheckRun.Status.DONE:
            return 0
        CheckRunItem.objects.bulk_create(
            [CheckRunItem(run=run, check_id=check_id, created_at=now) for check_id in run.check_ids],
            ignore_conflicts=True,
        )
        todo = list(
            CheckRunItem.objects.filter(run=run, state=CheckRunItem.State.PENDING, dispatched_at=None).values_list(
                "pk", flat=True
            )
        )
        work_dispatch_on_commit(quality_check_task, CheckRunItem, todo)
    if not todo:
        quality_run_finish(run_id)
    return len(todo)


def quality_check_record(run_id: int, check_id: int, *, now=None) -> str:
    """Run one check of a run and record its result, once (a direct call, or a message from before items)."""
    if not CheckRun.objects.filter(pk=run_id).exclude(status=CheckRun.Status.DONE).exists():
        return "no-run"
    item, _created = CheckRunItem.objects.get_or_create(run_id=run_id, check_id=check_id)
    return quality_item_execute(item.pk, now=now)


def quality_item_execute(item_id: int, *, now=None) -> str:
    """Run one leased check and record its result: the result, the run's counters and the item's "done" commit
    together and only while the lease is this worker's, so a check delivered twice, or re-run after its worker
    died, is recorded once. Returns the state, or "duplicate" when it was already taken or done."""
    with lease_hold(CheckRunItem, item_id) as lease:
        if lease is None:
            return "duplicate"
        item = CheckRunItem.objects.select_related("run").get(pk=item_id)
        if item.run.status == CheckRun.Status.DONE:
            with transaction.atomic():
                lease_complete(lease)
            return "no-run"
        check = QualityCheck.objects.select_related("port__warehouse").filter(pk=item.check_id).first()
        if check is None:
            outcome = Outcome("error", None, "The check was deleted before it ran.")
        else:
            outcome = check_execute(check, now=now)
        try:
            with transaction.atomic():
                recorded = _result_record(item, check, outcome, now=now)
                lease_complete(lease)
        except LeaseLost:  # this worker was too slow: the check went to another, whose result counts
            return "duplicate"
    quality_run_finish(item.run_id)
    return outcome.state if recorded else "duplicate"


def _result_record(item: CheckRunItem, check, outcome: Outcome, *, now) -> bool:
    """The check's result for the run (once: a unique constraint) and the run's counters."""
    from django.db.models import F

    try:
        with transaction.atomic():
            if check is not None:
                CheckResult.objects.create(
                    quality_check=check,
                    product_id=item.run.product_id,
                    run_id=item.run_id,
                    state=outcome.state,
                    observed_value=outcome.observed_value,
                    message=outcome.message[:4000],
                    source="runner",
                    measured_at=now or timezone.now(),
                )
    except IntegrityError:
        return False
    CheckRun.objects.filter(pk=item.run_id).update(
        completed=F("completed") + 1, failed=F("failed") + (0 if outcome.state == CheckResult.State.PASSED else 1)
    )
    return True


def _item_given_up(item: CheckRunItem) -> None:
    """A check that stopped its worker on every attempt ends as an error result, so its run still finishes."""
    check = QualityCheck.objects.filter(pk=item.check_id).first()
    outcome = Outcome("error", None, f"The check could not finish after {item.attempts} attempts ({item.last_error}).")
    with transaction.atomic():
        _result_record(CheckRunItem.objects.select_related("run").get(pk=item.pk), check, outcome, now=None)
    quality_run_finish(item.run_id)


def quality_runs_sweep(*, now=None, lost_after: timedelta = timedelta(minutes=1)) -> dict:
    """Every minute: start runs whose first message was lost, re-queue checks whose worker died (lease expired) or
    whose message was lost, end checks out of attempts as errors, and close runs whose checks all have results."""
    from products.quality.tasks import quality_check_task  # the task module imports this one

    now = now or timezone.now()
    started = 0
    for run_id in CheckRun.objects.filter(status=CheckRun.Status.QUEUED, created_at__lt=now - lost_after).values_list(
        "pk", flat=True
    ):
        started += quality_run_execute(run_id) > 0
    unfinished = CheckRunItem.objects.exclude(run__status=CheckRun.Status.DONE)
    result = leases_sweep(CheckRunItem, quality_check_task, queryset=unfinished, on_failed=_item_given_up, now=now)
    for run_id in CheckRun.objects.filter(status=CheckRun.Status.RUNNING).values_list("pk", flat=True):
        quality_run_finish(run_id)
    return {"started": started, **result.as_dict()}


def quality_run_finish(run_id: int) -> bool:
    """Close the run once every check has a result, and evaluate the product: exactly once (conditional update)."""
    from django.db.models import F

    with transaction.atomic():  # "done" and the new score become visible together
        closed = (
            CheckRun.objects.filter(pk=run_id)
            .exclude(status=CheckRun.Status.DONE)
            .filter(completed__gte=F("total"))
            .update(status=CheckRun.Status.DONE, finished_at=timezone.now())
        )
        if closed:
            product_id = CheckRun.objects.values_list("product_id", flat=True).get(pk=run_id)
            quality_product_evaluate(product_id, snapshot=True)
    return bool(closed)


def ingest_token_create(*, actor, product: DataProduct, name: str):
    """A new push token for ``product``; returns (token row, the secret shown once)."""
    import hashlib
    import secrets

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
    token = ProductIngestToken.objects.select_for_update().select_related("product").get(pk=token.pk)
    require(permissions.can_manage_ingest_tokens(actor, token.product), "Only the owning team's owners do this.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="ingest_token.revoke", target=token.product, data={"token": token.prefix})


def ingest_token_authenticate(secret: str):
    """The live token for this secret (its ``last_used_at`` touched), or None."""
    import hashlib

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
                    product=product, name=name, kind=QualityCheck.Kind.EXTERNAL, dimension=dimension, severity=severity
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
    """Score 0–100 and per-dimension scores of the product's enabled checks (``scoring.weighted_scores``). One
    query."""
    rows = (
        QualityCheck.objects.filter(product_id=product_id, enabled=True)
        .with_latest_result(latest_state="state")
        .values_list("dimension", "severity", "latest_state")
    )
    return weighted_scores(rows)


def quality_sla(product: DataProduct, *, now=None, days: int = QUALITY_WINDOW_DAYS) -> list[dict]:
    """SLA compliance against the product's own targets, one row per SLA field (``products.quality.sla``)."""
    from products.quality.sla import product_sla

    return product_sla(product, now=now, days=days)


def _incident_webhooks(incident, kind: str) -> None:
    """Tell webhook endpoints that want ``quality.incident.opened`` / ``.resolved`` (through the outbox)."""
    payload = {
        "incident": {
            "id": incident.pk,
            "kind": incident.kind,
            "summary": incident.summary,
            "opened_at": incident.opened_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        },
        "product": incident.product.urn,
    }
    webhook_event_record(kind, payload, key=str(incident.pk))


def _incident_open(product: DataProduct, *, check=None, metric: str = "", summary: str, now):
    """Open the incident unless one is open already (the partial unique constraint decides); notify the
    owning team once (dedupe key per incident)."""
    open_incidents = Incident.objects.filter(product=product, resolved_at=None)
    if (check and open_incidents.filter(quality_check=check).exists()) or (
        metric and open_incidents.filter(kind=Incident.Kind.SLA_MISS, metric=metric).exists()
    ):
        return None
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                product=product,
                quality_check=check,
                kind=Incident.Kind.BREACH if check else Incident.Kind.SLA_MISS,
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
    now = now or timezone.now()
    product = DataProduct.objects.select_related("domain").get(pk=product_id)
    score, dimensions = quality_scores(product_id)
    product_quality_score_set(product_id=product_id, score=score)
    if snapshot and score is not None:
        QualityScoreSnapshot.objects.create(product=product, measured_at=now, score=score, dimensions=dimensions)
    checks = list(
        QualityCheck.objects.filter(product=product).with_latest_result(latest_state="state", latest_message="message")
    )
    opened = resolved = 0
    for check in checks:
        breached = check.enabled and check.latest_state in (State.FAILED, State.ERROR)
        if breached:
            verb = "could not run" if check.latest_state == State.ERROR else "failed"
            summary = f"Check “{check.name}” {verb}: {check.latest_message or ''}".strip()
            opened += bool(_incident_open(product, check=check, summary=summary, now=now))
        elif check.latest_state == State.PASSED or not check.enabled:
            resolved += _incidents_resolve(Incident.objects.filter(quality_check=check), product, now=now)
    for metric in quality_sla(product, now=now):
        name = metric["metric"]
        if metric["status"] == "missed":
            unit = " min" if metric["unit"] == "minutes" else " %"
            summary = (
                f"{name.capitalize()} SLA missed, error budget exhausted: {metric['met_percent']:g} % met against "
                f"{metric['objective_percent']:g} % (target {metric['target']:g}{unit})"
            )
            opened += bool(_incident_open(product, metric=name, summary=summary, now=now))
        else:
            resolved += _incidents_resolve(
                Incident.objects.filter(product=product, kind=Incident.Kind.SLA_MISS, metric=name), product, now=now
            )
    return {"score": score, "opened": opened, "resolved": resolved}


def quality_sweep(*, now=None) -> dict:
    """Every ten minutes: the lease sweep (``quality_runs_sweep``, also run every minute on its own) and the SLAs of
    every product with checks re-evaluated. Safe to run again. ``resumed``: runs and checks sent again."""
    now = now or timezone.now()
    swept = quality_runs_sweep(now=now, lost_after=timedelta(0))
    product_ids = set(QualityCheck.objects.filter(enabled=True).values_list("product_id", flat=True).distinct())
    for product_id in sorted(product_ids):
        quality_product_evaluate(product_id, now=now)
    return {"resumed": swept["started"] + swept["redispatched"], "evaluated": len(product_ids)}
