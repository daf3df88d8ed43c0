"""Webhooks: the outbox that tells external systems what happened (grants provisioned, quality incidents, …).

``webhook_event_record`` is the only way an event enters the outbox: one ``OutboxEvent`` per active endpoint that
wants the kind (``WebhookEndpoint.wants``: an endpoint with no event kinds gets every event), written in the caller's
transaction with an event id derived from the endpoint, the kind and the caller's key, so recording the same thing
twice writes nothing new. Delivery is published on commit. ``outbox_deliver`` sends one event signed with
HMAC-SHA256 (``X-Mesh-Signature: t=<unix time>,v1=<hex of HMAC(secret, "<t>.<body>")>``, ``X-Mesh-Event-Id``); a
failure sets ``next_attempt_at`` with exponential backoff, and the sweep sends what is due, so nothing is lost while
the receiver is down. Receivers dedupe by event id.

Endpoints reach public addresses only (``portal.outbound``): the URL is checked when saved and again at each
delivery, which connects to the address it checked; a redirect (3xx) or any answer outside 2xx is a failed attempt.
"""

import hashlib
import hmac
import http.client
import json
import logging
import time
import uuid
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from portal.outbound import UnsafeDestination, destination_check, pinned_post
from portal.services import task_enqueue_on_commit
from products.models import OutboxEvent, WebhookEndpoint

logger = logging.getLogger(__name__)

OUTBOX_NAMESPACE = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
CLAIM_LEASE = timedelta(minutes=5)
DELIVERY_TIMEOUT_S = 10


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


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_valid(secret: str, body: bytes, header: str, *, tolerance_s: int | None = None) -> bool:
    """What a receiver checks (a reference for integrators and the tests)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if tolerance_s is not None and abs(time.time() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature_header(secret, body, timestamp), header)


def backoff_after(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def outbox_deliver(event_pk: int, *, now=None) -> bool:
    """Send one due event. Returns whether it was delivered now.

    The row is claimed by a conditional UPDATE that pushes ``next_attempt_at`` out by a lease, so two workers
    never send it at the same time; success records ``delivered_at``; failure schedules the next attempt."""
    now = now or timezone.now()
    claimed = OutboxEvent.objects.filter(pk=event_pk, delivered_at=None, next_attempt_at__lte=now).update(
        next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    event = OutboxEvent.objects.select_related("endpoint").get(pk=event_pk)
    endpoint = event.endpoint
    if not endpoint.active:
        OutboxEvent.objects.filter(pk=event_pk).update(
            next_attempt_at=now + BACKOFF_MAX, last_error="The endpoint is inactive."
        )
        return False
    body = json.dumps({"id": str(event.event_id), **event.payload}, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "MeshPortal-Webhooks/1",
        "X-Mesh-Event-Id": str(event.event_id),
        "X-Mesh-Event-Kind": event.kind,
        "X-Mesh-Signature": signature_header(endpoint.secret, body, int(now.timestamp())),
    }
    try:
        destination = destination_check(endpoint.url)  # again now: the name may resolve elsewhere than when saved
        answer = pinned_post(destination, body, headers, timeout=DELIVERY_TIMEOUT_S)
    except UnsafeDestination as error:
        reason = error.message
    except (OSError, http.client.HTTPException, ValueError) as error:
        reason = str(error) or type(error).__name__
    else:
        reason = None if 200 <= answer.status < 300 else f"The receiver answered HTTP {answer.status}."
        if 300 <= answer.status < 400:
            reason = f"The receiver answered HTTP {answer.status}; redirects are not followed."
    if reason is not None:
        OutboxEvent.objects.filter(pk=event_pk).update(
            next_attempt_at=now + backoff_after(event.attempts), last_error=reason[:500]
        )
        logger.info("webhook %s to %s failed (attempt %s): %s", event.event_id, endpoint.name, event.attempts, reason)
        return False
    OutboxEvent.objects.filter(pk=event_pk).update(delivered_at=now, last_error="")
    return True


def outbox_deliver_due(*, now=None, batch_size: int = 200) -> int:
    """Send every event that is due (the sweep). Returns how many were delivered."""
    now = now or timezone.now()
    due = list(
        OutboxEvent.objects.filter(delivered_at=None, next_attempt_at__lte=now, endpoint__active=True)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    return sum(1 for pk in due if outbox_deliver(pk, now=now))
