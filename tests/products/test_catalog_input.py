"""Bad input gets a form error or a 400 naming the field, and nothing is half-saved."""

import json

import pytest

from products.models import DataProduct, OutputPort

pytestmark = pytest.mark.django_db


def _create_form(team, **overrides):
    data = {"name": "Orders", "slug": "orders", "owner_team": team.pk, "classification": "internal"}
    return {**data, **overrides}


def test_page_create_with_an_empty_name_shows_the_error(client_for, owner, team):
    response = client_for(owner).post("/products/new/", _create_form(team, name=""))
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not DataProduct.objects.filter(slug="orders").exists()


def test_page_create_with_a_duplicate_slug_shows_the_error_on_slug(client_for, owner, team, product):
    response = client_for(owner).post("/products/new/", _create_form(team, slug=product.slug))
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["slug"][0]
    assert DataProduct.objects.filter(slug=product.slug).count() == 1


def test_page_create_for_someone_elses_team_is_a_form_error(client_for, other_owner, team):
    response = client_for(other_owner).post("/products/new/", _create_form(team))
    assert response.status_code == 200
    assert "owner_team" in response.context["form"].errors
    assert not DataProduct.objects.filter(slug="orders").exists()


def test_page_port_with_a_bad_version_saves_neither_port_nor_fields(client_for, owner, product):
    url = f"/products/{product.domain.slug}/{product.slug}/ports/new/"
    data = {
        "name": "orders",
        "kind": "table",
        "version": "v1",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-0-name": "order_id",
        "fields-0-data_type": "bigint",
    }
    response = client_for(owner).post(url, data)
    assert response.status_code == 200
    assert "version" in response.context["form"].errors
    assert not OutputPort.objects.filter(name="orders").exists()


def test_page_owner_creates_product_with_two_fields_and_publishes(client_for, owner, team):
    client = client_for(owner)
    response = client.post(
        "/products/new/", _create_form(team, summary="All orders", freshness_minutes="60", accountable=owner.pk)
    )
    assert response.status_code == 302
    product = DataProduct.objects.get(slug="orders")
    base = product.get_absolute_url()
    response = client.post(
        f"{base}ports/new/",
        {
            "name": "orders",
            "kind": "table",
            "version": "1.0.0",
            "fields-TOTAL_FORMS": "3",
            "fields-INITIAL_FORMS": "0",
            "fields-0-name": "order_id",
            "fields-0-data_type": "bigint",
            "fields-1-name": "customer_email",
            "fields-1-data_type": "string",
            "fields-1-classification": "pii",
        },
    )
    assert response.status_code == 302
    assert list(product.ports.get().fields.values_list("name", flat=True)) == ["order_id", "customer_email"]
    assert client.post(f"{base}status/published/").status_code == 302
    product.refresh_from_db()
    assert product.status == "published"


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"name": "", "slug": "orders", "domain": "crm", "owner_team": "customer-data"}, "name", 400),
        ({"name": "Orders", "slug": "orders", "domain": "atlantis", "owner_team": "customer-data"}, "domain", 404),
        ({"name": "Orders", "slug": "Bad Slug!", "domain": "crm", "owner_team": "customer-data"}, "slug", 400),
        ({"name": "Orders", "slug": "orders", "domain": "crm", "owner_team": "nope"}, "owner_team", 404),
        (
            {
                "name": "Orders",
                "slug": "orders",
                "domain": "crm",
                "owner_team": "customer-data",
                "completeness_percent": "150",
            },
            "completeness_percent",
            400,
        ),
    ],
)
def test_api_create_with_bad_input_names_the_field(api_for, owner, team, body, field, status):
    """A 400 for input at fault, a 404 for a domain or team that does not exist (or is not the caller's)."""
    response = api_for(owner).post("/api/v1/products/", body, format="json")
    assert response.status_code == status
    assert field in response.json()
    assert not DataProduct.objects.filter(slug="orders").exists()


def test_api_duplicate_slug_is_a_409_naming_slug(api_for, owner, team, product):
    body = {"name": "Again", "slug": product.slug, "domain": "crm", "owner_team": team.slug}
    response = api_for(owner).post("/api/v1/products/", body, format="json")
    assert response.status_code == 409
    assert "slug" in response.json()


def test_api_malformed_json_is_a_400(api_for, owner):
    response = api_for(owner).post("/api/v1/products/", '{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_api_bad_port_version_is_a_400_and_saves_nothing(api_for, owner, product):
    body = {"product": product.pk, "name": "orders", "version": "1.0", "fields": [{"name": "id"}]}
    response = api_for(owner).post("/api/v1/ports/", body, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
    assert not OutputPort.objects.filter(name="orders").exists()


def test_api_ignores_status_urn_and_score_in_the_body(api_for, owner, team):
    body = {
        "name": "Orders",
        "slug": "orders",
        "domain": "crm",
        "owner_team": team.slug,
        "status": "published",
        "urn": "urn:evil",
        "quality_score": "100",
    }
    response = api_for(owner).post("/api/v1/products/", body, format="json")
    assert response.status_code == 201, response.content
    product = DataProduct.objects.get(slug="orders")
    assert (product.status, product.urn, product.quality_score) == ("draft", "urn:mesh:crm:orders", None)


def test_api_cannot_move_a_product_to_another_team(api_for, owner, product, other_team):
    response = api_for(owner).patch(f"/api/v1/products/{product.pk}/", {"owner_team": other_team.slug}, format="json")
    assert response.status_code == 404
    product.refresh_from_db()
    assert product.owner_team.slug == "customer-data"


def test_api_illegal_transition_is_a_409_that_says_why(api_for, owner, product):
    response = api_for(owner).post(f"/api/v1/products/{product.pk}/retire/", {}, format="json")
    assert response.status_code == 409
    assert "cannot become retired" in json.dumps(response.json())


def test_api_lineage_pointing_at_an_invisible_product_is_refused(api_for, owner, product, other_team):
    from tests import factories

    hidden = factories.DataProductFactory(owner_team=other_team, status="draft")
    response = api_for(owner).post("/api/v1/lineage/", {"product": product.pk, "upstream": hidden.pk}, format="json")
    assert response.status_code == 404
    assert "upstream" in response.json()


def test_catalog_filter_options_are_escaped_and_keep_the_choice(client_for, analyst, team):
    from products.models import Tag
    from tests import factories

    factories.DataProductFactory(owner_team=team, tags=['<b>"loud"</b>', "plain"])
    assert Tag.objects.count() == 2
    body = client_for(analyst).get("/products/", {"tag": "plain", "domain": team.domain.slug}).content.decode()
    assert '<option value="&lt;b&gt;&quot;loud&quot;&lt;/b&gt;">&lt;b&gt;&quot;loud&quot;&lt;/b&gt;</option>' in body
    assert '<option value="plain" selected>plain</option>' in body
    assert f'<option value="{team.domain.slug}" selected>{team.domain.name}</option>' in body
    assert '<option value="" selected>All teams</option>' in body
