"""Retirement really retires: once a product is retired (after its sunset), every grant on its ports is revoked by
the portal, pending requests are rejected, webhook endpoints hear of each revoke, and previews, exports and new
requests answer that its data is no longer served. Retiring before the sunset changes nothing."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.errors import DomainError
from portal.models import Notification
from products import services as catalog
from products.access import services as access_services
from products.access.models import AccessGrant, AccessRequest
from products.models import DataProduct, OutboxEvent
from tests import factories
from tests.products.access.support import clear, grant_for

pytestmark = pytest.mark.django_db


def _urls(port):
    args = [port.product.domain.slug, port.product.slug, port.pk]
    return {
        "page": reverse("products:port-preview", args=args),
        "csv": reverse("products:port-export", args=args),
        "api": f"/api/v1/ports/{port.pk}/preview/",
    }


def _deprecated(product, *, sunset_in: timedelta) -> DataProduct:
    DataProduct.objects.filter(pk=product.pk).update(status="deprecated", sunset_at=timezone.now() + sunset_in)
    return DataProduct.objects.get(pk=product.pk)


@pytest.fixture
def consumers(analyst, owner, internal_port):
    """Two grantees on the port (one with a renewal pending) and a third person whose request is pending."""
    bea = factories.UserFactory(username="bea")
    cleo = factories.UserFactory(username="cleo")
    grants = [grant_for(user, internal_port, approvers=[owner]) for user in (analyst, bea)]
    renewal = access_services.access_request_create(
        actor=bea, port=internal_port, purpose="Still needed", duration_days=30, renewal_of=grants[1]
    )
    pending = access_services.access_request_create(actor=cleo, port=internal_port, purpose="Report", duration_days=30)
    return {"grants": grants, "requests": [renewal, pending], "requesters": [bea, cleo]}


def _retire(owner, product, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # provisioning and webhooks run on commit
        return catalog.product_change_status(actor=owner, product=product, to_status="retired")


def test_retiring_after_the_sunset_revokes_grants_rejects_requests_and_tells_the_outbox(
    owner, internal_port, consumers, django_capture_on_commit_callbacks
):
    factories.WebhookEndpointFactory(name="iam", event_kinds=["grant.provisioned", "grant.deprovisioned"])
    factories.WebhookEndpointFactory(name="quality-only", event_kinds=["quality.incident_opened"])
    for grant in consumers["grants"]:  # the grants reached the platform (their on-commit sync, run by hand)
        assert access_services.grant_provisioning_sync(grant.pk) == "provisioned"
    product = _deprecated(internal_port.product, sunset_in=-timedelta(days=1))

    _retire(owner, product, django_capture_on_commit_callbacks)

    for grant in consumers["grants"]:
        grant.refresh_from_db()
        assert (grant.status, grant.ended_by, grant.end_reason) == ("revoked", None, "The product was retired.")
        assert grant.provisioning_state == "deprovisioned", grant.provisioning_error
        assert Notification.objects.filter(recipient=grant.user, kind="access.revoked").count() == 1
        # Contracts' notice went out before the grant ended, so grantees were told why as consumers too.
        assert Notification.objects.filter(recipient=grant.user, kind="product.retired").count() == 1
    for access_request in consumers["requests"]:
        access_request.refresh_from_db()
        assert (access_request.status, access_request.decided_by) == ("rejected", None)
        assert access_request.decision_note == "The product was retired. Its data is no longer served."
    for requester in consumers["requesters"]:
        assert Notification.objects.filter(recipient=requester, kind="access.rejected").count() == 1
    events = OutboxEvent.objects.filter(kind="grant.deprovisioned")
    assert sorted((event.endpoint.name, event.payload["grant"]["id"]) for event in events) == sorted(
        ("iam", grant.pk) for grant in consumers["grants"]
    )
    assert all(event.payload["grant"]["status"] == "revoked" for event in events)
    assert not OutboxEvent.objects.filter(endpoint__name="quality-only").exists()

    # Ending access again (the receiver running twice) finds nothing left to end and tells nobody twice.
    snapshot = (Notification.objects.count(), OutboxEvent.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        assert access_services.product_access_end(product=product) == {"revoked": 0, "rejected": 0}
    assert (Notification.objects.count(), OutboxEvent.objects.count()) == snapshot


@pytest.mark.parametrize("persona", ["analyst", "member", "admin_user"])
def test_previews_and_exports_of_a_retired_product_answer_410(
    persona, request, client, owner, internal_port, consumers, demo_emails, django_capture_on_commit_callbacks
):
    product = _deprecated(internal_port.product, sunset_in=-timedelta(days=1))
    _retire(owner, product, django_capture_on_commit_callbacks)
    message = f"Contacts was retired on {timezone.localdate():%Y-%m-%d}; its data is no longer served."
    client.force_login(request.getfixturevalue(persona))
    responses = {name: client.get(url) for name, url in _urls(internal_port).items()}
    assert {name: response.status_code for name, response in responses.items()} == {
        "page": 410,
        "csv": 410,
        "api": 410,
    }
    assert responses["api"].json() == {"detail": message}
    for name in ("page", "csv"):
        body = responses[name].content.decode()
        assert message in body, name
        assert '<header class="topbar">' in body and "<title>Retired" in body, name  # inside the portal's layout
    for response in responses.values():
        assert b"@example.org" not in response.content and b"masked:" not in response.content
        assert not any(email.encode() in response.content for email in demo_emails)


def test_a_new_request_to_a_retired_product_is_refused_naming_the_port(
    client, api_for, analyst, owner, internal_port, django_capture_on_commit_callbacks
):
    product = _deprecated(internal_port.product, sunset_in=-timedelta(days=1))
    _retire(owner, product, django_capture_on_commit_callbacks)
    message = f"Contacts was retired on {timezone.localdate():%Y-%m-%d}; its data is no longer served."

    with pytest.raises(DomainError) as error:  # the port as the caller last read it: its product still published
        access_services.access_request_create(actor=analyst, port=internal_port, purpose="x", duration_days=30)
    assert (error.value.field, error.value.message) == ("port", message)

    api = api_for(analyst)
    response = api.post("/api/v1/access-requests/", {"port": internal_port.pk, "purpose": "x", "duration_days": 30})
    assert response.status_code == 400 and response.json() == {"port": [message]}

    client.force_login(analyst)
    url = reverse("products:access-request-create", args=[product.domain.slug, product.slug, internal_port.pk])
    page = client.get(url)
    assert page.status_code == 410 and message in page.content.decode()
    posted = client.post(url, {"purpose": "Weekly report", "duration_days": 30})
    assert posted.status_code == 400 and message in posted.content.decode()
    assert not AccessRequest.objects.filter(requester=analyst).exists()


def test_a_request_left_pending_on_a_retired_product_cannot_be_approved(analyst, owner, internal_port):
    access_request = access_services.access_request_create(
        actor=analyst, port=internal_port, purpose="Report", duration_days=30
    )
    DataProduct.objects.filter(pk=internal_port.product_id).update(status="retired")  # retired without the receiver
    with pytest.raises(DomainError, match="its data is no longer served"):
        access_services.access_request_approve(actor=owner, access_request=access_request)
    assert not AccessGrant.objects.exists()


def test_retiring_before_the_sunset_is_refused_and_changes_nothing(owner, internal_port, consumers):
    product = _deprecated(internal_port.product, sunset_in=timedelta(days=3))
    with pytest.raises(DomainError, match="retire it after that"):
        catalog.product_change_status(actor=owner, product=product, to_status="retired")
    assert DataProduct.objects.get(pk=product.pk).status == "deprecated"
    assert set(AccessGrant.objects.values_list("status", flat=True)) == {"active"}
    assert set(AccessRequest.objects.filter(status="pending").values_list("pk", flat=True)) == {
        access_request.pk for access_request in consumers["requests"]
    }
    assert not Notification.objects.filter(kind__in=["access.revoked", "access.rejected"]).exists()


def test_a_cleared_grantee_csv_is_gone_too(client, analyst, owner, internal_port, django_capture_on_commit_callbacks):
    clear(analyst)
    grant_for(analyst, internal_port, approvers=[owner], pii=True)
    client.force_login(analyst)
    before = client.get(_urls(internal_port)["csv"])
    assert before.status_code == 200 and len(list(csv.reader(io.StringIO(before.content.decode())))) > 1
    product = _deprecated(internal_port.product, sunset_in=-timedelta(seconds=1))
    _retire(owner, product, django_capture_on_commit_callbacks)
    after = client.get(_urls(internal_port)["csv"])
    assert after.status_code == 410 and b"@example.org" not in after.content
