"""With DEBUG off, 403, 404 and 500 answer in the site layout with a way back; the API keeps answering JSON."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.error_urls")]


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def _in_layout(body: str) -> None:
    assert 'class="topbar"' in body and "portal.css" in body and 'href="/"' in body


def test_403_renders_the_layout_with_the_reason(client_for, analyst):
    response = client_for(analyst).get("/boom/403/")
    assert response.status_code == 403
    body = response.content.decode()
    _in_layout(body)
    assert "You may not do this" in body and "Only the owning team edits this product." in body


def test_404_renders_the_layout_with_a_catalog_search_and_no_internal_detail(client_for, analyst):
    response = client_for(analyst).get("/products/nowhere/nothing/")
    assert response.status_code == 404
    body = response.content.decode()
    _in_layout(body)
    assert 'action="/products/"' in body and 'name="q"' in body
    assert "secret-internal-detail" not in client_for(analyst).get("/boom/404/").content.decode()


def test_500_renders_the_layout_without_the_error(analyst):
    client = Client(raise_request_exception=False)
    client.force_login(analyst)
    response = client.get("/boom/500/")
    assert response.status_code == 500
    body = response.content.decode()
    _in_layout(body)
    assert "Something went wrong" in body and "boom" not in body


def test_api_errors_stay_json(analyst):
    client = Client(raise_request_exception=False)
    client.force_login(analyst)
    response = client.get("/api/v1/boom/500/")
    assert response.status_code == 500 and response.json() == {"detail": "Server error."}
    assert client.get("/api/v1/nowhere/").json() == {"detail": "Not found."}


def test_favicon_answers_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"
