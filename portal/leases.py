"""Leases for fanned-out work: each piece of a long job is a database row that a worker takes for a short while
and keeps alive with a heartbeat, so that a worker that dies (SIGKILL, lost host, OOM) is noticed within a minute
instead of after the broker's visibility timeout, and its piece runs again on another worker.

How a job family uses it (enforcement chunks and quality checks do; any fan-out can):

1. Subclass ``LeasedWork`` (an abstract model) with what a piece needs (a run, its ids), and add an index on
   ``("state", "lease_expires_at")``.
2. Create the pieces in the transaction that starts the job, and call ``work_dispatch_on_commit(task, rows)``:
   each piece's task is published after commit with a short broker timeout; ``dispatched_at`` records that it went.
3. The task runs ``with lease_hold(Model, pk) as lease:`` (``None`` when another worker holds it or it is
   finished) and does its work in ``transaction.atomic()`` ending with ``lease_complete(lease)``: the effect and
   "done" commit together, and only while the lease is still this worker's (``LeaseLost`` rolls the work back), so
   a piece counts once however often it is delivered.
4. A beat job every minute calls ``leases_sweep(Model, task, on_failed=...)``: pieces whose lease expired go back
   to pending and are published again, pieces whose publish was lost (broker down at commit) or whose message was
   lost (broker restarted empty) are published again, and a piece that has used ``MESH_LEASE_MAX_ATTEMPTS`` is
   marked failed and ``on_failed`` (the job's own reaction: fail the run, tell the admins) is called.

Settings: ``MESH_LEASE_SECONDS`` (60: how long a silent worker keeps a piece), ``MESH_LEASE_MAX_ATTEMPTS`` (5),
``MESH_LEASE_REDISPATCH_SECONDS`` (300: how long a published piece may wait in the queue before it is published
again; an extra copy is harmless, as it finds the piece taken or done).
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """The lease ran out and the piece was handed to someone else: this worker's result must not count."""


def lease_seconds() -> int:
    return int(getattr(settings, "MESH_LEASE_SECONDS", 60))


def lease_max_attempts() -> int:
    return int(getattr(settings, "MESH_LEASE_MAX_ATTEMPTS", 5))


def lease_redispatch_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "MESH_LEASE_REDISPATCH_SECONDS", 300)))


class LeasedWork(models.Model):
    """One piece of fanned-out work and its lease (see the module docstring)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    lease_owner = models.CharField(max_length=120, blank=True, editable=False, help_text="host:pid of the worker")
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True


@dataclass
class Lease:
    """A piece held by this worker. ``lost`` is set when a heartbeat finds the piece taken by someone else."""

    model: type[LeasedWork]
    pk: int
    owner: str
    attempt: int
    lost: threading.Event = field(default_factory=threading.Event)


def _owner_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_take(model: type[LeasedWork], pk: int, *, now=None) -> Lease | None:
    """Take the piece if it is pending, or running under a lease that expired (its worker died). One conditional
    UPDATE, so two workers never both take it. Returns None when the piece is held, finished or out of attempts."""
    now = now or timezone.now()
    owner = _owner_id()
    State = LeasedWork.State
    taken = model.objects.filter(
        Q(state=State.PENDING) | Q(state=State.RUNNING, lease_expires_at__lt=now),
        pk=pk,
        attempts__lt=lease_max_attempts(),
    ).update(
        state=State.RUNNING,
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=lease_seconds()),
        heartbeat_at=now,
        started_at=now,
        attempts=F("attempts") + 1,
    )
    if not taken:
        return None
    attempt = model.objects.values_list("attempts", flat=True).get(pk=pk)
    return Lease(model=model, pk=pk, owner=owner, attempt=attempt)


def lease_complete(lease: Lease, *, now=None) -> None:
    """Mark the piece done; call it last inside the transaction that writes the piece's effect. Raises
    ``LeaseLost`` (rolling the effect back) when the lease is no longer this worker's."""
    if lease.lost.is_set() or not lease.model.objects.filter(
        pk=lease.pk, state=LeasedWork.State.RUNNING, lease_owner=lease.owner
    ).update(
        state=LeasedWork.State.DONE,
        finished_at=now or timezone.now(),
        lease_owner="",
        lease_expires_at=None,
        last_error="",
    ):
        raise LeaseLost(f"{lease.model.__name__} {lease.pk}: the lease passed to another worker")


def lease_release(lease: Lease, error: BaseException | None = None) -> None:
    """Give the piece back (pending) after a failure, with the error, so the next attempt may start at once."""
    reason = f"{type(error).__name__}: {error}" if error is not None else "released"
    for pause in (0.2, 0.5, 1.0, None):
        try:
            lease.model.objects.filter(pk=lease.pk, state=LeasedWork.State.RUNNING, lease_owner=lease.owner).update(
                state=LeasedWork.State.PENDING, lease_owner="", lease_expires_at=None, last_error=reason[:2000]
            )
            return
        except DatabaseError:  # a lock or a blip: again shortly; if the database is gone, the lease expires
            if pause is None:
                logger.warning("could not release %s %s; its lease will expire", lease.model.__name__, lease.pk)
                return
            connections["default"].close_if_unusable_or_obsolete()
            time.sleep(pause)


def _heartbeat(lease: Lease, stop: threading.Event) -> None:
    """Extend the lease every third of its length until ``stop``; on its own connection (its own thread), so the
    worker's transaction never holds it up and it never holds the worker's up."""
    interval = max(lease_seconds() / 3, 0.5)
    try:
        while not stop.wait(interval):
            now = timezone.now()
            try:
                kept = lease.model.objects.filter(
                    pk=lease.pk, state=LeasedWork.State.RUNNING, lease_owner=lease.owner
                ).update(lease_expires_at=now + timedelta(seconds=lease_seconds()), heartbeat_at=now)
            except DatabaseError:
                logger.warning("heartbeat of %s %s failed; trying again", lease.model.__name__, lease.pk)
                connections.close_all()
                continue
            if not kept:
                lease.lost.set()
                return
    finally:
        connections.close_all()


@contextmanager
def lease_hold(model: type[LeasedWork], pk: int):
    """``with lease_hold(Model, pk) as lease:`` take the piece and keep its lease alive while the block runs.

    ``lease`` is None when the piece is not to be done here (held elsewhere, finished, out of attempts). An
    exception in the block gives the piece back with the error and propagates (the task's retry policy applies)."""
    lease = lease_take(model, pk)
    if lease is None:
        yield None
        return
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(lease, stop), name=f"lease-{model.__name__}-{pk}", daemon=True)
    beat.start()
    try:
        yield lease
    except BaseException as error:
        stop.set()
        beat.join(timeout=5)
        lease_release(lease, error)
        raise
    finally:
        stop.set()
        beat.join(timeout=5)


def work_dispatch(task, model: type[LeasedWork], pks: Iterable[int]) -> int:
    """Publish ``task(pk)`` for each piece now. ``dispatched_at`` is set before publishing (so no worker races the
    write) and cleared again for the pieces the broker refused, which the sweep then sends as soon as it can.
    Returns how many went."""
    from portal.services import task_publish

    pks = list(pks)
    if not pks:
        return 0
    model.objects.filter(pk__in=pks).update(dispatched_at=timezone.now())
    refused = [pk for pk in pks if not task_publish(task, pk)]
    if refused:
        try:
            model.objects.filter(pk__in=refused).update(dispatched_at=None)
        except DatabaseError:  # then they wait for MESH_LEASE_REDISPATCH_SECONDS instead
            logger.warning("could not mark %s pieces undispatched", len(refused))
    return len(pks) - len(refused)


def work_dispatch_on_commit(task, model: type[LeasedWork], pks: Iterable[int]) -> None:
    """``work_dispatch`` once the current transaction commits (nothing is sent if it rolls back)."""
    pks = list(pks)
    transaction.on_commit(lambda: work_dispatch(task, model, pks))


@dataclass
class SweepResult:
    requeued: int = 0  # leases that expired: their worker died
    redispatched: int = 0  # pending pieces published again: the first publish or its message was lost
    failed: list = field(default_factory=list)  # pieces out of attempts

    def as_dict(self) -> dict:
        return {"requeued": self.requeued, "redispatched": self.redispatched, "failed": len(self.failed)}


def leases_sweep(
    model: type[LeasedWork],
    task,
    *,
    on_failed: Callable[[LeasedWork], None] | None = None,
    queryset=None,
    now=None,
    batch_size: int = 1000,
) -> SweepResult:
    """The once-a-minute safety net of a fan-out (see the module docstring). Safe to run twice at once: every move
    is a conditional UPDATE, and ``on_failed`` must itself be idempotent. ``queryset`` narrows the pieces looked at
    (e.g. those of running runs)."""
    now = now or timezone.now()
    State = LeasedWork.State
    pieces = queryset if queryset is not None else model.objects.all()
    result = SweepResult()
    max_attempts = lease_max_attempts()

    expired = Q(state=State.RUNNING, lease_expires_at__lt=now)
    exhausted = list(
        pieces.filter(expired | Q(state=State.PENDING), attempts__gte=max_attempts).values_list("pk", flat=True)[
            :batch_size
        ]
    )
    for pk in exhausted:
        if model.objects.filter(expired | Q(state=State.PENDING), pk=pk, attempts__gte=max_attempts).update(
            state=State.FAILED, finished_at=now, lease_owner="", lease_expires_at=None
        ):
            row = model.objects.get(pk=pk)
            if not row.last_error:
                model.objects.filter(pk=pk).update(last_error="the worker stopped answering on every attempt")
                row.last_error = "the worker stopped answering on every attempt"
            result.failed.append(row)
            if on_failed is not None:
                on_failed(row)

    lost = list(pieces.filter(expired).values_list("pk", flat=True)[:batch_size])
    if lost:
        result.requeued = model.objects.filter(expired, pk__in=lost).update(
            state=State.PENDING,
            lease_owner="",
            lease_expires_at=None,
            last_error="the worker stopped answering (its lease expired)",
        )
    waiting = list(
        pieces.filter(state=State.PENDING)
        .filter(
            Q(dispatched_at__isnull=True, created_at__lt=now - timedelta(seconds=5))
            | Q(dispatched_at__lt=now - lease_redispatch_after())
            | Q(pk__in=lost)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    result.redispatched = work_dispatch(task, model, waiting)
    if result.requeued or result.redispatched or result.failed:
        logger.info("%s sweep: %s", model.__name__, result.as_dict())
    return result


def named_lease_hold(name: str, owner: str, *, seconds: float, now=None) -> bool:
    """Take or renew the lease ``name`` for ``owner`` for ``seconds``; False while someone else holds it. One
    conditional UPDATE (or the first INSERT, which a unique name settles), so two processes never both hold it."""
    from portal.models import NamedLease

    now = now or timezone.now()
    until = now + timedelta(seconds=seconds)
    if NamedLease.objects.filter(Q(owner=owner) | Q(expires_at__lt=now), name=name).update(
        owner=owner, expires_at=until
    ):
        return True
    try:
        with transaction.atomic():
            NamedLease.objects.create(name=name, owner=owner, expires_at=until)
    except IntegrityError:
        return False
    return True


def named_lease_release(name: str, owner: str) -> None:
    """Let the lease go at once (a clean shutdown), so a standby takes over without waiting for it to expire."""
    from portal.models import NamedLease

    NamedLease.objects.filter(name=name, owner=owner).update(expires_at=timezone.now() - timedelta(seconds=1))
