"""Unmasked access later, with the demo's people: Ana's grant on Customer 360 (restricted) was approved masked; once
Dora records her clearance she asks to unmask it, Carla and Dora decide again, and only then do the preview's bytes
hold the customers' e-mails. Owners follow the same clearance rule on their own product and are told why."""

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from products.access import services as access_services
from products.access.models import AccessGrant, AccessRequest, Clearance
from tests.products.access.support import anas_customer_360_request

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {user.username: user for user in get_user_model().objects.all()}
    conn = sqlite3.connect(Path(settings.VAR_DIR) / "warehouse.sqlite3")
    try:
        emails = [row[0] for row in conn.execute("SELECT email FROM customer_360 LIMIT 50")]
    finally:
        conn.close()
    return users, emails


def _preview(client, user, port) -> bytes:
    client.force_login(user)
    product = port.product
    response = client.get(f"/products/{product.domain.slug}/{product.slug}/ports/{port.pk}/preview/")
    assert response.status_code == 200
    return response.content


def _shows_pii(content: bytes, emails) -> bool:
    return any(email.encode() in content for email in emails)


def test_upgrade_to_unmasked_after_a_clearance_end_to_end(demo, client, api_for):
    users, emails = demo
    ana, carla, dora = users["ana"], users["carla"], users["dora"]
    first = anas_customer_360_request(users)
    access_services.access_request_approve(actor=carla, access_request=first)
    access_services.access_request_approve(actor=dora, access_request=AccessRequest.objects.get(pk=first.pk))
    grant = AccessGrant.objects.get(request=first)
    port = grant.port
    assert not grant.unmasked_pii
    assert not _shows_pii(_preview(client, ana, port), emails)

    # Without a clearance there is no button and the service refuses, naming why.
    assert f"/products/access/grants/{grant.pk}/upgrade/".encode() not in client.get("/products/my-access/").content
    refused = api_for(ana).post(f"/api/v1/access-grants/{grant.pk}/upgrade/", {"purpose": "Churn"})
    assert refused.status_code == 400 and "clearance" in str(refused.json())

    client.force_login(dora)
    expiry = (timezone.now() + timedelta(days=365)).date().isoformat()
    client.post("/products/access/clearances/", {"user": "ana", "kind": "gdpr", "expires_at": expiry})
    assert Clearance.objects.filter(user=ana, kind="gdpr").exists()
    preview = _preview(client, ana, port)
    assert not _shows_pii(preview, emails)  # a clearance alone does not unmask a grant approved masked
    assert b"Ask for unmasked access" in preview
    assert f"/products/access/grants/{grant.pk}/upgrade/".encode() in client.get("/products/my-access/").content

    response = client.post(f"/products/access/grants/{grant.pk}/upgrade/", {"purpose": "Contact lapsed customers."})
    assert response.status_code == 302
    upgrade = AccessRequest.objects.get(requester=ana, upgrades=True)
    assert upgrade.renewal_of_id == grant.pk and upgrade.approvals_required == 2
    assert not _shows_pii(_preview(client, ana, port), emails)  # still waiting

    access_services.access_request_approve(actor=carla, access_request=upgrade)
    assert not _shows_pii(_preview(client, ana, port), emails)  # one approval of two
    client.force_login(dora)
    client.post(f"/products/access/requests/{upgrade.pk}/approve/", {"note": "Cleared."})
    grant.refresh_from_db()
    assert grant.unmasked_pii and grant.status == "active"
    assert grant.expires_at == AccessGrant.objects.get(pk=grant.pk).expires_at  # the same grant, same expiry
    assert AccessGrant.objects.filter(user=ana, port=port).count() == 1
    assert _shows_pii(_preview(client, ana, port), emails)
    assert f"/products/access/grants/{grant.pk}/upgrade/".encode() not in client.get("/products/my-access/").content


def test_upgrade_is_refused_twice_and_for_someone_elses_grant(demo, api_for):
    users, _emails = demo
    ana, carla, dora = users["ana"], users["carla"], users["dora"]
    first = anas_customer_360_request(users)
    access_services.access_request_approve(actor=carla, access_request=first)
    access_services.access_request_approve(actor=dora, access_request=AccessRequest.objects.get(pk=first.pk))
    grant = AccessGrant.objects.get(request=first)
    Clearance.objects.create(user=ana, kind="gdpr", expires_at=timezone.now() + timedelta(days=30))
    assert api_for(ana).post(f"/api/v1/access-grants/{grant.pk}/upgrade/", {"purpose": "x"}).status_code == 201
    again = api_for(ana).post(f"/api/v1/access-grants/{grant.pk}/upgrade/", {"purpose": "x"})
    assert again.status_code == 400 and "pending" in str(again.json())
    assert api_for(carla).post(f"/api/v1/access-grants/{grant.pk}/upgrade/", {"purpose": "x"}).status_code == 403


def test_owner_without_clearance_sees_why_and_is_not_told_to_request_access(demo, client):
    users, emails = demo
    carla = users["carla"]
    from products.models import OutputPort

    port = OutputPort.objects.get(product__slug="customer-360", name="customers")
    content = _preview(client, carla, port)
    assert not _shows_pii(content, emails)
    assert b"You are in the owning team" in content
    assert b"request access" not in content.lower() and b"Ask for unmasked access" not in content
    Clearance.objects.create(user=carla, kind="gdpr", expires_at=timezone.now() + timedelta(days=30))
    content = _preview(client, carla, port)
    assert _shows_pii(content, emails)
    assert b"You are in the owning team" not in content
