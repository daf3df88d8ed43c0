"""An uncleared grantee never gets classified values in clear: asserted on the bytes of the preview page, the
preview API and the CSV export. No grant, no sample data; sorting or filtering on a masked column is refused."""

import csv
import io

import pytest
from django.urls import reverse

from products.access.masking import mask_plan
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


def _get_all(client, port, query: str = ""):
    return {name: client.get(url + query) for name, url in _urls(port).items()}


def test_uncleared_grantee_never_sees_pii_in_page_api_or_csv(client, analyst, owner, internal_port, demo_emails):
    grant = grant_for(analyst, internal_port, approvers=[owner], pii=True)  # asked for PII, holds no clearance
    assert grant.unmasked_pii is False
    client.force_login(analyst)
    responses = _get_all(client, internal_port, "?ordering=-lifetime_value")
    assert {name: r.status_code for name, r in responses.items()} == {"page": 200, "csv": 200, "api": 200}
    for name, response in responses.items():
        body = response.content
        assert b"masked:" in body, name
        leaked = [email for email in demo_emails if email.encode() in body or email.split("@")[0].encode() in body]
        assert not leaked, f"{name} leaked {leaked[:3]}"
        assert b"@example.org" not in body, name
    rows = list(csv.reader(io.StringIO(responses["csv"].content.decode())))
    assert rows[0][:3] == ["customer_id", "email", "full_name"]
    assert len(rows) == 51 and all(row[1].startswith("masked:") for row in rows[1:])
    api = responses["api"].json()
    assert set(api["masked"]) == {"email", "full_name", "date_of_birth"}
    assert api["rows"][0][4] in {"DE", "FR", "NL", "PT", "ES", "IT", "SE", "DK", "PL", "AT"}  # country in clear


def test_cleared_grantee_with_unmasked_grant_sees_pii(client, analyst, owner, internal_port, demo_emails):
    clear(analyst)
    grant_for(analyst, internal_port, approvers=[owner], pii=True)
    client.force_login(analyst)
    for name, response in _get_all(client, internal_port).items():
        assert demo_emails[0].encode() in response.content, name


def test_expired_clearance_masks_again_at_once(client, analyst, owner, internal_port, demo_emails):
    clearance = clear(analyst)
    grant_for(analyst, internal_port, approvers=[owner], pii=True)
    clearance.expires_at = clearance.granted_at
    clearance.save()
    client.force_login(analyst)
    for name, response in _get_all(client, internal_port).items():
        assert b"@example.org" not in response.content, name


def test_grantee_without_pii_request_sees_masked_even_with_clearance(analyst, owner, internal_port):
    clear(analyst)
    grant_for(analyst, internal_port, approvers=[owner], pii=False)
    assert mask_plan(user=analyst, port=internal_port).masked == {"email", "full_name", "date_of_birth"}


@pytest.mark.parametrize("persona", ["analyst", "other_owner", "staff", "admin_user"])
def test_without_a_grant_there_is_no_sample_data(persona, request, client, internal_port, demo_emails):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    responses = _get_all(client, internal_port)
    assert {name: r.status_code for name, r in responses.items()} == {"page": 403, "csv": 403, "api": 403}
    for response in responses.values():
        assert b"@example.org" not in response.content and b"masked:" not in response.content
    assert b"Request access" in responses["page"].content


def test_revoked_grant_stops_the_very_next_request(client, analyst, owner, internal_port):
    from products.access import services as access_services

    grant = grant_for(analyst, internal_port, approvers=[owner])
    client.force_login(analyst)
    assert client.get(_urls(internal_port)["page"]).status_code == 200
    access_services.grant_revoke(actor=owner, grant=grant)
    assert client.get(_urls(internal_port)["page"]).status_code == 403


@pytest.mark.parametrize("query", ["?ordering=email", "?ordering=-full_name", "?where=email&value=probe"])
def test_sorting_or_filtering_on_a_masked_column_is_refused(client, analyst, owner, internal_port, query):
    grant_for(analyst, internal_port, approvers=[owner])
    client.force_login(analyst)
    responses = _get_all(client, internal_port, query)
    assert {name: r.status_code for name, r in responses.items()} == {"page": 400, "csv": 400, "api": 400}
    for response in responses.values():
        assert b"@example.org" not in response.content and b"masked:" not in response.content


def test_filtering_on_a_clear_column_works(client, analyst, owner, internal_port):
    grant_for(analyst, internal_port, approvers=[owner])
    client.force_login(analyst)
    data = client.get(_urls(internal_port)["api"] + "?where=country&value=DE&ordering=customer_id").json()
    assert data["rows"] and {row[4] for row in data["rows"]} == {"DE"}
    ids = [row[0] for row in data["rows"]]
    assert ids == sorted(ids)


def test_owning_team_sees_data_masked_without_clearance(client, member, internal_port, demo_emails):
    client.force_login(member)
    response = client.get(_urls(internal_port)["page"])
    assert response.status_code == 200 and b"@example.org" not in response.content
    clear(member)
    assert demo_emails[0].encode() in client.get(_urls(internal_port)["page"]).content


def test_draft_product_port_is_invisible_to_outsiders(client, analyst, draft, demo_warehouse):
    port = factories.OutputPortFactory(product=draft, name="scores", warehouse=demo_warehouse, table="customer_360")
    client.force_login(analyst)
    assert {name: r.status_code for name, r in _get_all(client, port).items()} == {
        "page": 404,
        "csv": 404,
        "api": 404,
    }
