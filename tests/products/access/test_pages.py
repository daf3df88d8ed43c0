"""Access pages and lists: constant query counts whatever the number of grants and requests, and the pages
show what each persona needs (CSRF enforced on the decision forms)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.access import services as access_services
from products.access.models import AccessGrant
from tests import factories
from tests.pages import product_panel_url
from tests.products.access.support import grant_for

pytestmark = pytest.mark.django_db


def _populate(owner, count: int, start: int = 0):
    """``count`` grantees on ``count`` internal products of the owner's team, each with one pending request."""
    team = owner.memberships.get().team
    for n in range(start, start + count):
        product = factories.DataProductFactory(owner_team=team, slug=f"p-{n}", classification="internal")
        port = factories.OutputPortFactory(product=product, name="rows")
        grantee = factories.UserFactory(username=f"g{n}")
        grant_for(grantee, port, approvers=[owner])
        access_services.access_request_create(
            actor=factories.UserFactory(username=f"r{n}"), port=port, purpose="Report", duration_days=30
        )


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_my_access_and_api_lists_run_constant_queries(client, owner, analyst):
    client.force_login(owner)
    urls = [reverse("products:my-access"), "/api/v1/access-requests/", "/api/v1/access-grants/"]
    _populate(owner, 3)
    small = [_count(client, url) for url in urls]
    _populate(owner, 15, start=3)
    large = [_count(client, url) for url in urls]
    assert small == large


def test_product_access_tab_runs_constant_queries(client, owner, analyst, product):
    port = factories.OutputPortFactory(product=product, name="rows")
    client.force_login(owner)
    url = product_panel_url(product, "access")
    product.classification = "internal"
    product.save()
    for n in range(3):
        grant_for(factories.UserFactory(username=f"a{n}"), port, approvers=[owner])
    small = _count(client, url)
    for n in range(3, 20):
        grant_for(factories.UserFactory(username=f"a{n}"), port, approvers=[owner])
    assert _count(client, url) == small
    body = client.get(url).content.decode()
    assert "Who has access" in body and "a19" in body


def test_analyst_sees_request_button_and_owner_sees_grants(client, owner, analyst, product):
    port = factories.OutputPortFactory(product=product, name="rows")
    client.force_login(analyst)
    body = client.get(product_panel_url(product, "access")).content.decode()
    assert reverse("products:access-request-create", args=[product.domain.slug, product.slug, port.pk]) in body
    assert "Who has access" not in body


def test_request_form_to_approval_through_pages(client, owner, analyst, product):
    product.classification = "internal"
    product.save()
    port = factories.OutputPortFactory(product=product, name="rows")
    client.force_login(analyst)
    url = reverse("products:access-request-create", args=[product.domain.slug, product.slug, port.pk])
    response = client.post(url, {"purpose": "Quarterly churn report", "duration_days": 30})
    assert response.status_code == 302
    detail = response["Location"]
    pk = int(detail.rstrip("/").split("/")[-1])
    assert client.post(reverse("products:access-request-approve", args=[pk])).status_code == 403  # own request
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)
    assert csrf_client.post(reverse("products:access-request-approve", args=[pk])).status_code == 403  # no token
    client.force_login(owner)
    assert client.post(reverse("products:access-request-approve", args=[pk]), {"note": "ok"}).status_code == 302
    grant = AccessGrant.objects.get(request_id=pk)
    client.force_login(analyst)
    body = client.get(reverse("products:my-access")).content.decode()
    assert grant.expires_at.strftime("%Y-%m-%d") in body


def test_api_mass_assignment_changes_no_status_or_decision(analyst, owner, product, api_for):
    product.classification = "internal"
    product.save()
    port = factories.OutputPortFactory(product=product, name="rows")
    api = api_for(analyst)
    response = api.post(
        "/api/v1/access-requests/",
        {
            "port": port.pk,
            "purpose": "Report",
            "duration_days": 30,
            "status": "approved",
            "approvals_required": 0,
            "decided_by": owner.username,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending" and response.json()["approvals_required"] == 1
    assert not AccessGrant.objects.exists()
    pk = response.json()["id"]
    assert api.post(f"/api/v1/access-requests/{pk}/approve/", {}, format="json").status_code == 403
    owner_api = api_for(owner)
    approved = owner_api.post(f"/api/v1/access-requests/{pk}/approve/", {"note": "ok"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    grant_id = approved.json()["grant"]
    assert api_for(analyst).post(f"/api/v1/access-grants/{grant_id}/revoke/", {}, format="json").status_code == 403
    assert api_for(owner).post(f"/api/v1/access-grants/{grant_id}/revoke/", {}, format="json").status_code == 200


def test_api_refuses_a_port_of_an_invisible_draft(analyst, draft, api_for):
    port = factories.OutputPortFactory(product=draft, name="rows")
    response = api_for(analyst).post(
        "/api/v1/access-requests/", {"port": port.pk, "purpose": "x", "duration_days": 30}, format="json"
    )
    assert response.status_code == 404 and "port" in response.json()
