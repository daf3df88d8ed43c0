"""The database unreachable: pages answer 503 with Retry-After in the site layout, the API answers JSON 503, the
readiness endpoint fails while liveness passes, never a 500; once the database is back the next request works,
with no restart."""

import json
import time
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connections
from django.test import Client

from tests import factories
from tests.faults import closed_port

PAGES = ["/", "/products/", "/governance/", "/glossary/"]
API = ["/api/v1/products/", "/api/v1/glossary/terms/"]


@contextmanager
def database_at_a_closed_port():
    """Point the connection at a port nothing listens on (as a stopped server is), then back."""
    settings_dict = connections["default"].settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    connections["default"].close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(closed_port())
    try:
        yield
    finally:
        connections["default"].close()
        settings_dict["HOST"], settings_dict["PORT"] = saved


def _assert_unavailable(response, *, api: bool):
    assert response.status_code == 503, response.content[:300]
    assert int(response["Retry-After"]) > 0
    if api:
        assert response["Content-Type"].startswith("application/json")
        assert "unavailable" in json.loads(response.content)["detail"]
    else:
        body = response.content.decode()
        assert "Back in a moment" in body and 'class="topbar"' in body and "portal.css" in body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pages_and_api_answer_503_while_the_database_is_away_and_recover_without_a_restart():
    user = factories.UserFactory(username="outage")
    client = Client()
    client.force_login(user)
    assert client.get("/readyz").status_code == 200
    with database_at_a_closed_port():
        for path in PAGES:
            started = time.monotonic()
            _assert_unavailable(client.get(path), api=False)
            assert time.monotonic() - started < 5
        for path in API:
            _assert_unavailable(client.get(path), api=True)
        _assert_unavailable(client.post("/api/v1/products/", {}, content_type="application/json"), api=True)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready["Retry-After"]
        assert ready.json()["database"] != "OK" and ready.json()["broker"] == "OK"
        assert client.get("/healthz").status_code == 200  # liveness: the process is fine, keep it
    for path in PAGES:
        assert client.get(path).status_code == 200
    assert client.get("/api/v1/products/").status_code == 200
    assert client.get("/readyz").json() == {"database": "OK", "broker": "OK"}


@pytest.mark.django_db
def test_a_database_error_in_a_view_is_a_503_on_any_database(client_for, analyst, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    client = client_for(analyst)
    monkeypatch.setattr("products.views.selectors.product_list", unreachable)
    _assert_unavailable(client.get("/products/"), api=False)


def test_the_readiness_endpoint_fails_when_the_broker_does_not_answer(settings, client):
    from tests.faults import publishing_to

    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["broker"].startswith("Unavailable")


def test_a_database_error_outside_a_view_is_a_503_too(rf):
    """A middleware's query (a session saved after the view) reaches handler500, which answers 503 as well."""
    from portal.views import server_error

    for path, api in (("/products/", False), ("/api/v1/products/", True)):
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            response = server_error(rf.get(path))
        _assert_unavailable(response, api=api)
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(rf.get("/products/")).status_code == 500
