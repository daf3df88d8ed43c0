"""Webhooks reach public addresses only (``portal.outbound``): a URL whose host resolves to any loopback, private,
link-local, reserved or multicast address (IPv4 or IPv6) is refused on the field ``url`` when saved and again at
delivery, which connects to the address it checked (no second lookup to rebind); a 3xx is a failed delivery that
is not followed. ``MESH_WEBHOOK_ALLOW_PRIVATE`` lifts the address check."""

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.outbound import address_is_public, destination_check
from products.models import OutboxEvent, WebhookEndpoint
from products.webhooks import outbox_deliver, webhook_event_record
from tests import factories

pytestmark = pytest.mark.django_db

INTERNAL = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",
    "2002:7f00:1::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_not_public(address):
    assert not address_is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_public(address):
    assert address_is_public(address)


@pytest.fixture
def dns(monkeypatch):
    """``dns["hooks.example"] = ["93.184.216.34", "10.0.0.1"]``: what names resolve to; lookups are counted."""
    table: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        lookups.append(host)
        if host not in table:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return real(host, port, *args, **kwargs)  # an address literal
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    table["lookups"] = lookups
    return table


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("http://127.0.0.1/hook", None),
        ("http://[::1]:8080/hook", None),
        ("http://169.254.169.254/latest/meta-data/", None),
        ("https://hooks.example/a", ["93.184.216.34", "10.0.0.7"]),  # one internal address among public ones
        ("https://hooks.example/a", ["fd00::7"]),
        ("https://hooks.example/a", ["::ffff:192.168.0.1"]),
    ],
)
def test_saving_an_endpoint_that_reaches_inside_is_refused_on_url(dns, url, addresses):
    if addresses:
        dns["hooks.example"] = addresses
    endpoint = WebhookEndpoint(name="iam", url=url, secret="s", active=True)
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    assert list(refused.value.message_dict) == ["url"]
    assert "internal address" in refused.value.message_dict["url"][0]


def test_saving_an_endpoint_on_a_public_host_passes(dns):
    dns["hooks.example"] = ["93.184.216.34", "2606:4700:4700::1111"]
    WebhookEndpoint(name="iam", url="https://hooks.example/mesh", secret="s", active=True).full_clean()


def test_an_unresolvable_host_or_another_scheme_is_refused(dns):
    for url, message in [
        ("https://no-such-host.invalid/", "cannot be resolved"),
        ("ftp://93.184.216.34/", "http:// or https://"),
        ("https://user:pw@93.184.216.34/", "no user name or password"),
    ]:
        with pytest.raises(ValidationError) as refused:
            WebhookEndpoint(name="iam", url=url, secret="s").full_clean()
        assert message in refused.value.message_dict["url"][0]


def test_the_setting_allows_private_receivers(dns, settings):
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True
    WebhookEndpoint(name="iam", url="http://127.0.0.1:9999/hook", secret="s").full_clean()


def test_the_admin_names_the_url_field(client_for, admin_user):
    data = {"name": "iam", "url": "http://10.0.0.5/admin", "secret": "s", "active": "on", "event_kinds": "[]"}
    data |= {"max_concurrency": 4, "timeout_seconds": 30}
    response = client_for(admin_user).post(reverse("admin:products_webhookendpoint_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["url"] and "internal address" in errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


class Recorder:
    """An HTTP server on 127.0.0.1 that records requests and answers with ``status`` (and ``location``)."""

    def __init__(self, status: int = 200, location: str = ""):
        self.requests: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                recorder.requests.append(
                    {"path": self.path, "host": self.headers["Host"], "body": self.rfile.read(length)}
                )
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    servers = []

    def start(**kwargs):
        server = Recorder(**kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _event_for(url: str) -> OutboxEvent:
    factories.WebhookEndpointFactory(url=url, event_kinds=[])  # written directly, as a row saved long ago
    (event,) = webhook_event_record("grant.provisioned", {"grant": 1}, key="1")
    return event


def test_delivery_to_an_internal_address_is_refused_and_sends_nothing(recorder):
    receiver = recorder()
    event = _event_for(f"http://127.0.0.1:{receiver.port}/hooks")
    assert outbox_deliver(event.pk) is False
    event.refresh_from_db()
    assert event.delivered_at is None and "internal address" in event.last_error
    assert receiver.requests == []


def test_delivery_checks_the_name_again_and_a_rebinding_gains_nothing(dns, recorder):
    receiver = recorder()
    dns["hooks.example"] = ["93.184.216.34"]
    endpoint = WebhookEndpoint(name="iam", url=f"http://hooks.example:{receiver.port}/h", secret="s", active=True)
    endpoint.full_clean()  # public when saved
    endpoint.save()
    (event,) = webhook_event_record("grant.provisioned", {"grant": 1}, key="1")
    dns["hooks.example"] = ["127.0.0.1"]  # ... and internal when delivered
    assert outbox_deliver(event.pk) is False
    event.refresh_from_db()
    assert "resolves to 127.0.0.1, an internal address" in event.last_error
    assert receiver.requests == []


def test_delivery_connects_to_the_address_it_checked(dns, recorder, settings):
    """One lookup per delivery, and the connection goes to its answer: the name is not resolved a second time."""
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True
    receiver = recorder()
    dns["hooks.example"] = ["127.0.0.1"]
    event = _event_for(f"http://hooks.example:{receiver.port}/mesh?x=1")
    dns["lookups"].clear()
    assert outbox_deliver(event.pk) is True
    assert dns["lookups"].count("hooks.example") == 1
    (request,) = receiver.requests
    assert request["path"] == "/mesh?x=1"
    assert request["host"] == f"hooks.example:{receiver.port}"
    assert str(event.event_id).encode() in request["body"]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_failed_delivery_and_is_not_followed(recorder, settings, status):
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True
    elsewhere = recorder()
    receiver = recorder(status=status, location=f"http://127.0.0.1:{elsewhere.port}/stolen")
    event = _event_for(f"http://127.0.0.1:{receiver.port}/hooks")
    assert outbox_deliver(event.pk) is False
    event.refresh_from_db()
    assert event.delivered_at is None
    assert event.last_error == f"The receiver answered HTTP {status}; redirects are not followed."
    assert len(receiver.requests) == 1 and elsewhere.requests == []


def test_an_error_answer_is_a_failed_delivery(recorder, settings):
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True
    receiver = recorder(status=500)
    event = _event_for(f"http://127.0.0.1:{receiver.port}/hooks")
    assert outbox_deliver(event.pk) is False
    event.refresh_from_db()
    assert event.last_error == "The receiver answered HTTP 500." and event.attempts == 1


def test_destination_check_keeps_path_query_and_addresses(dns):
    dns["hooks.example"] = ["93.184.216.34", "93.184.216.34", "2606:4700:4700::1111"]
    destination = destination_check("https://hooks.example/a/b?c=d")
    assert (destination.host, destination.port, destination.target) == ("hooks.example", 443, "/a/b?c=d")
    assert destination.addresses == ("93.184.216.34", "2606:4700:4700::1111")
