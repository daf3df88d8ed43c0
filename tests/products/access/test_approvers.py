"""Who decides a request, with the demo's people: Customer 360 is restricted, its team has one owner (Carla) and a
member (Tom); Dora is in the data-protection group. Ana's request waits for Carla, then for Dora; each is told once,
Carla is never asked again, and the request page names who it waits for."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from portal.models import Notification
from products.access import permissions
from products.access import services as access_services
from products.access.models import AccessRequest
from products.models import OutputPort
from tests.products.access.support import anas_customer_360_request

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {user.username: user for user in get_user_model().objects.all()}
    request = anas_customer_360_request(users)
    return users, request


def _told(access_request) -> list[str]:
    return sorted(
        Notification.objects.filter(url=access_request.get_absolute_url())
        .exclude(recipient__username="ana")
        .values_list("recipient__username", flat=True)
    )


def _waiting_for(client, user, access_request) -> str:
    client.force_login(user)
    page = client.get(access_request.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    return body.split('id="waiting-for">', 1)[1].split("<", 1)[0].strip()


def test_restricted_request_waits_for_the_owner_then_the_data_protection_group(demo, client, api_for):
    users, access_request = demo
    assert access_request.approvals_required == 2
    assert [u.username for u in permissions.access_request_approvers(access_request)] == ["carla"]
    assert _told(access_request) == ["carla"]
    assert _waiting_for(client, users["ana"], access_request) == "Carla Reyes"

    access_services.access_request_approve(actor=users["carla"], access_request=access_request, note="Fine.")
    access_request = AccessRequest.objects.get(pk=access_request.pk)
    assert [u.username for u in permissions.access_request_approvers(access_request)] == ["dora"]
    assert _told(access_request) == ["carla", "dora"]  # each once: Carla is not asked for the second approval
    assert _waiting_for(client, users["ana"], access_request) == "Dora Nowak"
    assert api_for(users["ana"]).get(f"/api/v1/access-requests/{access_request.pk}/").json()["waiting_for"] == ["dora"]

    # Carla is not asked again and cannot approve twice; Tom (a member) does not even see it; Dora sees it waiting.
    client.force_login(users["carla"])
    assert access_request.pk not in [r.pk for r in client.get("/products/my-access/").context["to_decide"]]
    assert api_for(users["carla"]).post(f"/api/v1/access-requests/{access_request.pk}/approve/", {}).status_code == 400
    assert api_for(users["tom"]).post(f"/api/v1/access-requests/{access_request.pk}/approve/", {}).status_code == 404
    client.force_login(users["dora"])
    assert access_request.pk in [r.pk for r in client.get("/products/my-access/").context["to_decide"]]

    response = client.post(f"/products/access/requests/{access_request.pk}/approve/", {"note": "Purpose is fine."})
    assert response.status_code == 302
    access_request = AccessRequest.objects.get(pk=access_request.pk)
    assert access_request.status == "approved" and access_request.grant.status == "active"
    assert _told(access_request) == ["carla", "dora"]
    assert list(permissions.access_request_approvers(access_request)) == []


def test_the_data_protection_group_is_not_asked_before_the_team_and_not_for_internal_products(demo, api_for):
    users, access_request = demo
    # Before the team's approval Dora is not an approver: she sees Ana's request but cannot approve it yet.
    assert api_for(users["dora"]).post(f"/api/v1/access-requests/{access_request.pk}/approve/", {}).status_code == 403
    revenue = access_services.access_request_create(
        actor=users["ana"],
        port=OutputPort.objects.filter(product__slug="revenue").first(),
        purpose="Margins",
        duration_days=30,
    )
    assert "dora" not in [u.username for u in permissions.access_request_approvers(revenue)]
    assert api_for(users["dora"]).get(f"/api/v1/access-requests/{revenue.pk}/").status_code == 404


def test_no_approver_named_twice_and_the_requester_never(demo):
    users, access_request = demo
    carla_request = access_services.access_request_create(
        actor=users["carla"], port=access_request.port, purpose="Own checks", duration_days=30
    )
    assert "carla" not in [u.username for u in permissions.access_request_approvers(carla_request)]
