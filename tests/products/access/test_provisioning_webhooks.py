"""Signed webhooks from the outbox: nothing is lost while the receiver is down, each event id arrives once, and
the signature verifies. The clock is passed in; no sleeps."""

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from products.access import services as access_services
from products.models import OutboxEvent
from products.webhooks import outbox_deliver_due, signature_valid
from tests import factories
from tests.products.access.support import grant_for

SECRET = "whsec-test"


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """The receiver listens on 127.0.0.1, which webhooks may reach only when the setting allows it."""
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True


class Receiver:
    """A tiny webhook receiver on 127.0.0.1 that checks signatures, dedups by event id and counts deliveries."""

    def __init__(self, port: int):
        self.port = port
        self.deliveries: dict[str, int] = {}
        self.bad_signatures = 0
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not signature_valid(SECRET, body, self.headers.get("X-Mesh-Signature", "")):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                event_id = self.headers["X-Mesh-Event-Id"]
                assert json.loads(body)["id"] == event_id
                receiver.deliveries[event_id] = receiver.deliveries.get(event_id, 0) + 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_delivery_survives_the_receiver_being_down(analyst, owner, internal_port, django_capture_on_commit_callbacks):
    port_number = _free_port()
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
    receiver = Receiver(port_number)
    receiver.start()
    try:
        assert outbox_deliver_due(now=t0 + timedelta(seconds=41)) == 0  # backoff: nothing due yet
        assert outbox_deliver_due(now=t0 + timedelta(minutes=5)) == 5
        assert outbox_deliver_due(now=t0 + timedelta(days=1)) == 0  # delivered events are never sent again
    finally:
        receiver.stop()
    assert receiver.bad_signatures == 0
    assert receiver.deliveries == {str(event.event_id): 1 for event in events}
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


def test_signature_rejects_a_tampered_body():
    from products.webhooks import signature_header

    header = signature_header(SECRET, b'{"a": 1}', 1_700_000_000)
    assert signature_valid(SECRET, b'{"a": 1}', header)
    assert not signature_valid(SECRET, b'{"a": 2}', header)
    assert not signature_valid("other", b'{"a": 1}', header)
