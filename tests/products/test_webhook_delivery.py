"""Webhooks receivers can trust: a receiver that answers slowly and then fails still gets every event, each attempt
signed with a fresh timestamp (Standard Webhooks), deliveries to one endpoint run in parallel up to its limit, and a
receiver that dedupes by ``webhook-id`` acts on each event once. The admin shows each endpoint's backlog and sends
events again."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from products.models import OutboxEvent, WebhookEndpoint, webhook_secret_new
from products.webhooks import (
    CLAIM_MARGIN,
    SWEEP_BUDGET_S,
    endpoints_with_backlog,
    outbox_deliver,
    outbox_deliver_due,
    webhook_event_record,
)
from tests import factories
from tests.products.webhook_receiver import Receiver, free_port

pytestmark = pytest.mark.django_db
SECRET = webhook_secret_new()


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True


def _record_events(count: int, *, created_ago=timedelta(0)) -> list[OutboxEvent]:
    for index in range(count):
        webhook_event_record("grant.provisioned", {"grant": index}, key=f"grant-{index}")
    OutboxEvent.objects.update(created_at=timezone.now() - created_ago, next_attempt_at=timezone.now())
    return list(OutboxEvent.objects.order_by("pk"))


def test_a_slow_then_failing_receiver_gets_every_event_once_after_dedupe():
    """Attempt 1: slow, then HTTP 500. Some events' attempt 2 answers after the sender's timeout (the sender gives up,
    the receiver still acts): attempt 3 arrives again and the receiver's dedupe by webhook-id drops it."""
    port = free_port()
    timed_out = set()

    def behaviour(event_id, attempt):
        if attempt == 1:
            return 500, 0.6
        if attempt == 2 and len(timed_out) < 2 and event_id not in timed_out:
            timed_out.add(event_id)
            return 200, 2.5  # longer than the endpoint's timeout
        return 200, 0.05

    receiver = Receiver(port, SECRET, behaviour).start()
    try:
        factories.WebhookEndpointFactory(url=receiver.url, secret=SECRET, max_concurrency=4, timeout_seconds=1)
        # A backlog: the events were written an hour ago, far outside a receiver's 5-minute replay window.
        events = _record_events(12, created_ago=timedelta(hours=1))
        t0 = timezone.now()
        started = time.monotonic()
        assert outbox_deliver_due(now=t0) == 0  # every first attempt failed with 500
        first_round = time.monotonic() - started
        assert outbox_deliver_due(now=t0 + timedelta(minutes=1)) == 10  # two timed out
        assert outbox_deliver_due(now=t0 + timedelta(minutes=5)) == 2
        assert outbox_deliver_due(now=t0 + timedelta(hours=1)) == 0
    finally:
        receiver.stop()
    ids = {str(event.event_id) for event in events}
    assert receiver.bad_signatures == 0  # every attempt verified, timestamp window included, an hour into the backlog
    assert set(receiver.arrivals) == ids
    assert sorted(receiver.processed) == sorted(ids)  # each event acted on once
    assert sum(receiver.arrivals.values()) == 12 * 2 + 2  # at least once: the two timed-out ones arrived thrice
    assert 1 < receiver.most_in_flight <= 4  # in parallel, never more than the endpoint allows
    assert first_round < 12 * 0.6 / 2  # 12 slow answers did not take 12 times as long
    assert not OutboxEvent.objects.filter(delivered_at=None).exists()


def test_the_endpoint_limit_holds_across_workers():
    endpoint = factories.WebhookEndpointFactory(url="http://127.0.0.1:9/hook", secret=SECRET, max_concurrency=2)
    events = _record_events(3)
    future = timezone.now() + timedelta(minutes=1)
    OutboxEvent.objects.filter(pk__in=[events[0].pk, events[1].pk]).update(sending_until=future)  # two in flight
    assert outbox_deliver(events[2].pk) is False
    events[2].refresh_from_db()
    assert events[2].attempts == 0 and events[2].sending_until is None  # left for the sweep, not claimed
    assert endpoints_with_backlog().get(pk=endpoint.pk).in_flight == 2


def test_a_delivery_waits_longer_than_a_receiver_usually_takes_and_less_than_a_task_may_run():
    field = WebhookEndpoint._meta.get_field("timeout_seconds")
    longest = max(validator.limit_value for validator in field.validators if hasattr(validator, "limit_value"))
    assert field.default >= 10
    assert longest + CLAIM_MARGIN.total_seconds() + SWEEP_BUDGET_S < settings.CELERY_TASK_SOFT_TIME_LIMIT


def test_the_admin_shows_each_endpoints_backlog_and_sends_events_again(client_for, admin_user):
    endpoint = factories.WebhookEndpointFactory(name="iam", url="http://127.0.0.1:9/hook", secret=SECRET)
    events = _record_events(3)
    OutboxEvent.objects.filter(pk=events[0].pk).update(delivered_at=timezone.now())
    OutboxEvent.objects.filter(pk=events[1].pk).update(attempts=2, last_error="The receiver answered HTTP 500.")
    client = client_for(admin_user)
    page = client.get(reverse("admin:products_webhookendpoint_changelist"))
    assert page.status_code == 200
    row = endpoints_with_backlog().get(pk=endpoint.pk)
    assert (row.backlog, row.failing) == (2, 1)
    assert f"endpoint__id__exact={endpoint.pk}&amp;delivered_at__isempty=1" in page.content.decode()

    response = client.post(
        reverse("admin:products_outboxevent_changelist"),
        {"action": "redeliver", "_selected_action": [events[0].pk]},
    )
    assert response.status_code == 302
    events[0].refresh_from_db()
    # Due again at once, same event id; its delivery is published on commit and the sweep sends it otherwise.
    assert events[0].delivered_at is None and events[0].next_attempt_at <= timezone.now()


def test_only_admins_send_events_again(client_for, staff):
    factories.WebhookEndpointFactory(secret=SECRET)
    event = _record_events(1)[0]
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=timezone.now())
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_outboxevent", "change_outboxevent"]))
    client_for(staff).post(
        reverse("admin:products_outboxevent_changelist"), {"action": "redeliver", "_selected_action": [event.pk]}
    )
    event.refresh_from_db()
    assert event.delivered_at is not None
