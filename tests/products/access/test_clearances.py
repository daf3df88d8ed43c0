"""The data-protection group's clearances register: its members list, record and revoke clearances (page and API);
nobody else does, and nobody records their own. A clearance counts at the next read."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from portal.models import AuditEvent
from products.access.models import Clearance
from tests import factories
from tests.products.access.support import grant_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(db):
    user = factories.UserFactory(username="dora")
    user.groups.add(Group.objects.get(name=settings.MESH_DATA_PROTECTION_GROUP))
    return user


def _a_year() -> str:
    return (timezone.now() + timedelta(days=365)).date().isoformat()


def test_the_data_protection_group_exists_after_migrating():
    assert Group.objects.filter(name=settings.MESH_DATA_PROTECTION_GROUP).exists()


def test_officer_lists_records_and_revokes_on_the_page(client, officer, analyst, django_assert_max_num_queries):
    for n in range(5):
        factories.ClearanceFactory(user=factories.UserFactory(username=f"c{n}"))
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        page = client.get("/products/access/clearances/")
    assert page.status_code == 200 and "c4" in page.content.decode()
    for n in range(5, 40):
        factories.ClearanceFactory(user=factories.UserFactory(username=f"c{n}"))
    with django_assert_max_num_queries(12):
        assert client.get("/products/access/clearances/").status_code == 200

    response = client.post(
        "/products/access/clearances/", {"user": analyst.username, "kind": "gdpr", "expires_at": _a_year()}
    )
    assert response.status_code == 302
    clearance = Clearance.objects.get(user=analyst, kind="gdpr")
    assert clearance.granted_by == officer
    assert AuditEvent.objects.filter(action="clearance.grant", actor=officer).exists()
    assert analyst.notifications.filter(kind="clearance.granted").count() == 1

    assert client.post(f"/products/access/clearances/{clearance.pk}/revoke/").status_code == 302
    assert not Clearance.objects.filter(pk=clearance.pk).exists()
    assert AuditEvent.objects.filter(action="clearance.revoke", actor=officer).exists()


def test_officer_cannot_record_their_own_clearance(client, officer):
    client.force_login(officer)
    response = client.post("/products/access/clearances/", {"user": "dora", "kind": "gdpr", "expires_at": _a_year()})
    assert response.status_code == 400
    assert "Someone else records your own clearance." in response.content.decode()
    assert not Clearance.objects.exists()


def test_analyst_and_owner_cannot_open_the_register(client, analyst, owner):
    for user in (analyst, owner):
        client.force_login(user)
        assert client.get("/products/access/clearances/").status_code == 403


def test_api_officer_records_and_revokes_and_errors_name_the_field(api_for, officer, analyst):
    api = api_for(officer)
    bad = api.post("/api/v1/clearances/", {"user": "ghost", "kind": "gdpr", "expires_at": _a_year() + "T00:00Z"})
    assert bad.status_code == 400 and "user" in bad.json()
    past = api.post(
        "/api/v1/clearances/", {"user": analyst.username, "kind": "gdpr", "expires_at": "2001-01-01T00:00Z"}
    )
    assert past.status_code == 400 and "expires_at" in past.json()
    made = api.post(
        "/api/v1/clearances/",
        {"user": analyst.username, "kind": "gdpr", "expires_at": _a_year() + "T00:00Z", "granted_by": analyst.pk},
    )
    assert made.status_code == 201, made.content
    assert made.json()["granted_by"] == "dora"
    assert len(api.get("/api/v1/clearances/").json()["results"]) == 1
    assert api.delete(f"/api/v1/clearances/{made.json()['id']}/").status_code == 204
    assert not Clearance.objects.exists()


def test_api_analyst_sees_only_their_own_and_cannot_record(api_for, analyst, owner):
    factories.ClearanceFactory(user=owner)
    mine = factories.ClearanceFactory(user=analyst)
    api = api_for(analyst)
    assert [row["id"] for row in api.get("/api/v1/clearances/").json()["results"]] == [mine.pk]
    refused = api.post("/api/v1/clearances/", {"user": "analyst", "kind": "gdpr", "expires_at": _a_year() + "T00:00Z"})
    assert refused.status_code == 403
    assert api.delete(f"/api/v1/clearances/{mine.pk}/").status_code == 403


def test_a_clearance_recorded_later_does_not_unmask_a_grant_by_itself(client, officer, analyst, owner, internal_port):
    grant_for(analyst, internal_port, approvers=[owner], pii=True)
    client.force_login(analyst)
    preview = f"/api/v1/ports/{internal_port.pk}/preview/"
    assert "email" in client.get(preview).json()["masked"]
    client.force_login(officer)
    client.post("/products/access/clearances/", {"user": analyst.username, "kind": "gdpr", "expires_at": _a_year()})
    client.force_login(analyst)
    assert "email" in client.get(preview).json()["masked"]  # the grant was approved masked: an upgrade decides
