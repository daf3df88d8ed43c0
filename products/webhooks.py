"""Webhooks: the outbox that tells external systems what happened (grants provisioned, quality incidents, …).

``webhook_event_record`` is the only way an event enters the outbox: one ``OutboxEvent`` per active endpoint that
wants the kind (``WebhookEndpoint.wants``: an endpoint with no event kinds gets every event), written in the caller's
transaction with an event id derived from the endpoint, the kind and the caller's key, so recording the same thing
twice writes nothing new. Delivery is published on commit, and the sweep (every minute) sends whatever is due, so
nothing is lost while the broker or the receiver is down.

Deliveries follow Standard Webhooks (https://www.standardwebhooks.com/, the ``standardwebhooks`` package):
``webhook-id`` (the event id: the same for every attempt of one event), ``webhook-timestamp`` (the Unix time of this
attempt, so a receiver's replay window accepts a retry sent hours later) and ``webhook-signature``
(``v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>``). Delivery is at least once: an answer lost on
the way back (a timeout) means the event is sent again, so receivers dedupe by ``webhook-id``.

Each endpoint has at most ``max_concurrency`` deliveries in flight, counted in the database (``sending_until``), so a
slow receiver is served in parallel without being flooded and without holding up other endpoints; one delivery
waits ``timeout_seconds`` (30 by default: longer than a receiver usually takes, well under a task's time limit). A
failure sets ``next_attempt_at`` with exponential backoff.

Endpoints reach public addresses only (``portal.outbound``): the URL is checked when saved and again at each
delivery, which connects to the address it checked; a redirect (3xx) or any answer outside 2xx is a failed attempt.
"""

import http.client
import json
import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from portal.errors import require
from portal.outbound import UnsafeDestination, destination_check, pinned_post
from portal.services import audit_record, task_enqueue_on_commit
from products import permissions
from products.models import OutboxEvent, WebhookEndpoint

logger = logging.getLogger(__name__)

OUTBOX_NAMESPACE = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
CLAIM_MARGIN = timedelta(seconds=30)  # a claim outlives the delivery's timeout by this much
SWEEP_BUDGET_S = 240  # the sweep stops starting deliveries after this long (well under the task's soft time limit)


def webhook_event_record(kind: str, payload: dict, *, key: str) -> list[OutboxEvent]:
    """Put ``kind`` in the outbox for every active endpoint that wants it; returns the events new this time.

    ``key`` names the occurrence (a grant's state, an incident's id): the same kind and key for the same endpoint
    is one event, however often it is recorded."""
    from products.tasks import outbox_event_deliver  # the task module imports this one

    created_events = []
    for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk"):
        if not endpoint.wants(kind):
            continue
        event, created = OutboxEvent.objects.get_or_create(
            event_id=uuid.uuid5(OUTBOX_NAMESPACE, f"{endpoint.pk}:{kind}:{key}"),
            defaults={"endpoint": endpoint, "kind": kind, "payload": {"kind": kind, **payload}},
        )
        if created:
            created_events.append(event)
            task_enqueue_on_commit(outbox_event_deliver, event.pk)
    return created_events


def signer(secret: str) -> Webhook:
    """The Standard Webhooks signer for an endpoint's secret: ``whsec_<base64>`` as the spec has it; any other text
    (secrets from before) as its raw UTF-8 bytes, which a receiver passes as ``Webhook(secret.encode())``."""
    return Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())


def delivery_headers(event: OutboxEvent, secret: str, body: bytes, *, at: float | None = None) -> dict:
    """The headers of one attempt, signed at the moment it is sent."""
    sent_at = datetime.fromtimestamp(int(at if at is not None else time.time()), tz=UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": "MeshPortal-Webhooks/2",
        "webhook-id": str(event.event_id),
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signer(secret).sign(str(event.event_id), sent_at, body.decode()),
        "X-Mesh-Event-Kind": event.kind,
    }


def backoff_after(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


class SlotsFull(Exception):
    """Every delivery slot of the endpoint is taken."""


def _claim(event_pk: int, *, now) -> OutboxEvent | None:
    """Claim one due event for sending (None when it is not due or someone else has it), if its endpoint has a
    delivery slot free (else ``SlotsFull``): the endpoint row is locked while its deliveries in flight are counted,
    so the limit holds across workers."""
    with transaction.atomic():
        event = OutboxEvent.objects.filter(pk=event_pk).only("pk", "endpoint_id").first()
        if event is None:
            return None
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=event.endpoint_id)
        busy = OutboxEvent.objects.filter(endpoint=endpoint, delivered_at=None, sending_until__gt=now).count()
        due = OutboxEvent.objects.filter(pk=event_pk, delivered_at=None, next_attempt_at__lte=now)
        if busy >= endpoint.max_concurrency:
            if due.exists():
                raise SlotsFull(endpoint.name)
            return None
        until = now + timedelta(seconds=endpoint.timeout_seconds) + CLAIM_MARGIN
        if not due.update(next_attempt_at=until, sending_until=until, attempts=F("attempts") + 1):
            return None
    return OutboxEvent.objects.select_related("endpoint").get(pk=event_pk)


@dataclass
class Attempt:
    event: OutboxEvent
    body: bytes
    headers: dict
    error: str | None = None


def _prepare(event: OutboxEvent) -> Attempt | None:
    if not event.endpoint.active:
        return None
    body = json.dumps({"id": str(event.event_id), **event.payload}, sort_keys=True).encode()
    return Attempt(event=event, body=body, headers={})


def _send(attempt: Attempt) -> Attempt:
    """The HTTP part of a delivery (no database: it runs in a thread of the sweep)."""
    endpoint = attempt.event.endpoint
    attempt.headers = delivery_headers(attempt.event, endpoint.secret, attempt.body)
    try:
        destination = destination_check(endpoint.url)  # again now: the name may resolve elsewhere than when saved
        answer = pinned_post(destination, attempt.body, attempt.headers, timeout=endpoint.timeout_seconds)
    except UnsafeDestination as error:
        attempt.error = error.message
    except (OSError, http.client.HTTPException, ValueError) as error:
        attempt.error = str(error) or type(error).__name__
    else:
        if 300 <= answer.status < 400:
            attempt.error = f"The receiver answered HTTP {answer.status}; redirects are not followed."
        elif not 200 <= answer.status < 300:
            attempt.error = f"The receiver answered HTTP {answer.status}."
    return attempt


def _record(attempt: Attempt, *, now) -> bool:
    event = attempt.event
    if attempt.error is not None:
        OutboxEvent.objects.filter(pk=event.pk).update(
            next_attempt_at=now + backoff_after(event.attempts), sending_until=None, last_error=attempt.error[:500]
        )
        logger.info(
            "webhook %s to %s failed (attempt %s): %s",
            event.event_id,
            event.endpoint.name,
            event.attempts,
            attempt.error,
        )
        return False
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=timezone.now(), sending_until=None, last_error="")
    return True


def _park_inactive(event: OutboxEvent, *, now) -> None:
    OutboxEvent.objects.filter(pk=event.pk).update(
        next_attempt_at=now + BACKOFF_MAX, sending_until=None, last_error="The endpoint is inactive."
    )


def outbox_deliver(event_pk: int, *, now=None) -> bool:
    """Send one due event, if its endpoint has a slot free. Returns whether it was delivered now.

    The row is claimed by a conditional UPDATE that pushes ``next_attempt_at`` out past the delivery's timeout, so
    two workers never send it at the same time; success records ``delivered_at``; failure schedules the next attempt."""
    now = now or timezone.now()
    try:
        event = _claim(event_pk, now=now)
    except SlotsFull:  # the endpoint's deliveries in flight are at their limit: the sweep sends it
        return False
    if event is None:
        return False
    attempt = _prepare(event)
    if attempt is None:
        _park_inactive(event, now=now)
        return False
    return _record(_send(attempt), now=now)


def outbox_deliver_due(*, now=None, batch_size: int = 200, budget_s: float = SWEEP_BUDGET_S) -> int:
    """Send every event that is due (the sweep), each endpoint with up to its ``max_concurrency`` deliveries in
    flight at once. Claims and results are written here; only the HTTP requests run in threads. Returns how many
    were delivered. ``now`` fixes the clock (tests); otherwise each claim reads it afresh, as a sweep may run minutes."""
    clock = (lambda: now) if now is not None else timezone.now
    due = list(
        OutboxEvent.objects.filter(delivered_at=None, next_attempt_at__lte=clock(), endpoint__active=True)
        .order_by("next_attempt_at", "id")
        .values_list("pk", "endpoint_id")[:batch_size]
    )
    queues: dict[int, list[int]] = {}
    for pk, endpoint_id in due:
        queues.setdefault(endpoint_id, []).append(pk)
    if not queues:
        return 0
    limits = dict(WebhookEndpoint.objects.filter(pk__in=list(queues)).values_list("pk", "max_concurrency"))
    deadline = time.monotonic() + budget_s
    delivered = 0
    in_flight: dict = {}  # future -> endpoint id
    with ThreadPoolExecutor(max_workers=min(sum(limits.values()), 32), thread_name_prefix="webhook") as pool:
        while True:
            if time.monotonic() < deadline:
                for endpoint_id, pending in queues.items():
                    mine = sum(1 for owner in in_flight.values() if owner == endpoint_id)
                    while pending and mine < limits[endpoint_id]:
                        try:
                            event = _claim(pending[0], now=clock())
                        except SlotsFull:
                            if not mine:  # other workers hold every slot of this endpoint: theirs to send
                                pending.clear()
                            break  # else wait for one of ours to finish
                        pending.pop(0)
                        attempt = _prepare(event) if event is not None else None
                        if event is not None and attempt is None:
                            _park_inactive(event, now=clock())
                        if attempt is not None:
                            in_flight[pool.submit(_send, attempt)] = endpoint_id
                            mine += 1
            if not in_flight:
                break
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in finished:
                in_flight.pop(future)
                delivered += _record(future.result(), now=clock())
    return delivered


def outbox_redeliver(*, actor, event_ids) -> int:
    """Send the chosen events again now, delivered or not (an administrator's "redeliver": a receiver lost them).
    Same event ids, so a receiver that dedupes by ``webhook-id`` and already has one ignores it. Audited."""
    from products.tasks import outbox_event_deliver  # the task module imports this one

    require(permissions.can_redeliver_webhooks(actor), "Only administrators send webhook events again.")
    with transaction.atomic():
        ids = list(OutboxEvent.objects.filter(pk__in=list(event_ids), sending_until=None).values_list("pk", flat=True))
        OutboxEvent.objects.filter(pk__in=ids).update(delivered_at=None, next_attempt_at=timezone.now(), last_error="")
        for pk in ids:
            event = OutboxEvent.objects.get(pk=pk)
            audit_record(actor=actor, action="webhook.redeliver", target=event, data={"event": str(event.event_id)})
            task_enqueue_on_commit(outbox_event_deliver, pk)
    return len(ids)


def endpoints_with_backlog():
    """Every endpoint with its backlog: events waiting, failing (tried and not yet delivered), in flight, the oldest
    waiting one and the last delivery (the admin's overview; one query)."""
    now = timezone.now()
    waiting = Q(events__delivered_at=None)
    return WebhookEndpoint.objects.annotate(
        backlog=Count("events", filter=waiting),
        failing=Count("events", filter=waiting & Q(events__attempts__gt=0) & ~Q(events__last_error="")),
        in_flight=Count("events", filter=waiting & Q(events__sending_until__gt=now)),
        oldest_waiting=Min("events__created_at", filter=waiting),
        last_delivered=Max("events__delivered_at"),
    )
