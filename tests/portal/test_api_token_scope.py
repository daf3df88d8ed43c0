"""Read-only API tokens: chosen on the tokens page and in the API, shown in the admin; such a token reads the API
and is refused every writing call (and the MCP server hides its writing tools: tests/portal/mcp/)."""

import re

import pytest
from rest_framework.test import APIClient

from portal.models import ApiToken, AuditEvent
from portal.services import api_token_create

pytestmark = pytest.mark.django_db
KEY = re.compile(r"mpt_[0-9a-f]{64}")


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_the_page_makes_a_read_only_token_and_shows_its_scope_and_the_mcp_address(client_for, analyst):
    client = client_for(analyst)
    response = client.post("/accounts/token/", {"name": "agent", "expires_in_days": "30", "read_only": "on"})
    assert response.status_code == 200 and len(KEY.findall(response.content.decode())) == 1
    assert ApiToken.objects.get(user=analyst).read_only is True
    page = client.get("/accounts/token/").content.decode()
    assert "read-only" in page and "http://testserver/mcp/" in page and '"mcp_serve"' in page
    client.post("/accounts/token/", {"name": "pipeline", "expires_in_days": "30"})
    assert ApiToken.objects.get(user=analyst, name="pipeline").read_only is False


def test_the_api_makes_a_read_only_token_and_lists_its_scope(api_for, analyst):
    api = api_for(analyst)
    made = api.post("/api/v1/tokens/", {"name": "agent", "read_only": True}, format="json")
    assert made.status_code == 201 and made.json()["read_only"] is True
    listed = api.get("/api/v1/tokens/").json()["results"]
    assert [item["read_only"] for item in listed] == [True]
    assert AuditEvent.objects.get(action="api_token.create").data["read_only"] is True


def test_a_read_only_token_reads_and_is_refused_every_write(analyst, product):
    _token, key = api_token_create(user=analyst, name="agent", expires_in_days=30, read_only=True)
    api = _api(key)
    assert api.get("/api/v1/products/").status_code == 200
    for method, path, body in [
        ("post", "/api/v1/tokens/", {"name": "escalate"}),
        ("post", "/api/v1/access-requests/", {"port": 1, "purpose": "x"}),
        ("post", "/api/v1/subscriptions/", {"product": product.urn, "purpose": "x"}),
        ("delete", f"/api/v1/tokens/{ApiToken.objects.get().pk}/", None),
    ]:
        response = getattr(api, method)(path, body, format="json")
        assert response.status_code == 403, (path, response.content)
        assert "read-only" in response.json()["detail"]
    assert ApiToken.objects.count() == 1


def test_a_token_made_without_the_scope_still_writes(analyst):
    _token, key = api_token_create(user=analyst, name="pipeline", expires_in_days=30)
    assert _api(key).post("/api/v1/tokens/", {"name": "second"}, format="json").status_code == 201


def test_the_admin_shows_and_filters_the_scope(client_for, admin_user, analyst):
    api_token_create(user=analyst, name="agent", expires_in_days=30, read_only=True)
    page = client_for(admin_user).get("/admin/portal/apitoken/?read_only__exact=1")
    assert page.status_code == 200 and "agent" in page.content.decode()
    assert "read only" in page.content.decode().lower()
