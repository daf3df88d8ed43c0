"""Signed webhooks from the outbox: nothing is lost while the receiver is down, each event id arrives once, and
the signature verifies. The clock is passed in; no sleeps."""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from products.access import services as access_services
from products.models import OutboxEvent, webhook_secret_new
from products.webhooks import delivery_headers, outbox_deliver_due
from tests import factories
from tests.products.access.support import grant_for
from tests.products.webhook_receiver import Receiver, free_port

SECRET = webhook_secret_new()


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """The receiver listens on 127.0.0.1, which webhooks may reach only when the setting allows it."""
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True


@pytest.mark.django_db
def test_delivery_survives_the_receiver_being_down(analyst, owner, internal_port, django_capture_on_commit_callbacks):
    port_number = free_port()
    factories.WebhookEndpointFactory(url=f"http://127.0.0.1:{port_number}/hooks", secret=SECRET)
    users = [analyst] + [factories.UserFactory(username=f"user{n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):  # delivery attempts run now: the receiver is down
        grants = [grant_for(user, internal_port, approvers=[owner]) for user in users]
    with django_capture_on_commit_callbacks(execute=True):
        access_services.grant_revoke(actor=owner, grant=grants[0], reason="Moved team")
    events = list(OutboxEvent.objects.order_by("pk"))
    assert len(events) == 5  # four provisioned, one deprovisioned
    assert all(event.delivered_at is None and event.attempts == 1 and event.last_error for event in events)

    t0 = timezone.now()
    assert outbox_deliver_due(now=t0 + timedelta(seconds=40)) == 0  # second attempt: still down
    assert set(OutboxEvent.objects.values_list("attempts", flat=True)) == {2}
    receiver = Receiver(port_number, SECRET)
    receiver.start()
    try:
        assert outbox_deliver_due(now=t0 + timedelta(seconds=41)) == 0  # backoff: nothing due yet
        assert outbox_deliver_due(now=t0 + timedelta(minutes=5)) == 5
        assert outbox_deliver_due(now=t0 + timedelta(days=1)) == 0  # delivered events are never sent again
    finally:
        receiver.stop()
    assert receiver.bad_signatures == 0
    assert receiver.arrivals == {str(event.event_id): 1 for event in events}
    assert OutboxEvent.objects.filter(delivered_at=None).count() == 0


@pytest.mark.django_db
def test_provisioning_twice_writes_no_second_event(analyst, owner, internal_port):
    factories.WebhookEndpointFactory(secret=SECRET)
    grant = grant_for(analyst, internal_port, approvers=[owner])  # on_commit not run: sync by hand
    assert access_services.grant_provisioning_sync(grant.pk) == "provisioned"
    grant.provisioning_state = "pending"
    grant.save()
    assert access_services.grant_provisioning_sync(grant.pk) == "provisioned"
    assert OutboxEvent.objects.count() == 1


def test_signature_verifies_with_standard_webhooks_and_rejects_a_tampered_body():
    event = OutboxEvent(event_id="8f2a1c7e-4f59-4b43-9ac1-d3d7e3b0a111", kind="grant.provisioned")
    body = b'{"a": 1}'
    headers = delivery_headers(event, SECRET, body)
    assert headers["webhook-id"] == "8f2a1c7e-4f59-4b43-9ac1-d3d7e3b0a111"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(SECRET).verify(body, headers) == {"a": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(b'{"a": 2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_secret_new()).verify(body, headers)
    stale = delivery_headers(event, SECRET, body, at=timezone.now().timestamp() - 600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(SECRET).verify(body, stale)


def test_a_secret_from_before_signs_with_its_raw_bytes():
    event = OutboxEvent(event_id="8f2a1c7e-4f59-4b43-9ac1-d3d7e3b0a112", kind="grant.provisioned")
    headers = delivery_headers(event, "change-me", b"{}")
    assert Webhook(b"change-me").verify(b"{}", headers) == {}
