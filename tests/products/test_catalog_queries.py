"""Pages and endpoints cost the same number of queries whatever the row count (as Zulip asserts)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.products.bulk import make_products

pytestmark = pytest.mark.django_db


def _count(callable_) -> int:
    with CaptureQueriesContext(connection) as context:
        response = callable_()
    assert response.status_code == 200, response.content[:500]
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "path",
    [
        "/products/",
        "/products/?q=catalogue",
        "/products/?tag=generated&status=published",
        "/api/v1/products/",
        "/api/v1/products/?q=catalogue&page_size=100",
        "/api/v1/ports/",
        "/api/v1/subscriptions/",
        "/api/v1/lineage/",
        "/",
    ],
)
def test_catalog_lists_cost_the_same_at_5_and_500_products(client_for, owner, team, path):
    client = client_for(owner)
    make_products(team, 5, prefix="few")
    few = _count(lambda: client.get(path))
    make_products(team, 495, prefix="many")
    many = _count(lambda: client.get(path))
    assert many == few


def test_product_page_costs_the_same_with_5_or_500_fields_consumers_and_inputs(client_for, owner, team, analyst):
    product = factories.DataProductFactory(owner_team=team)
    port = factories.OutputPortFactory(product=product)
    client = client_for(owner)

    def grow(count: int, start: int) -> None:
        for i in range(start, start + count):
            factories.SchemaFieldFactory(port=port, name=f"f_{i}")
            factories.SubscriptionFactory(product=product, user=factories.UserFactory())
            factories.LineageEdgeFactory(product=product, upstream=factories.DataProductFactory(owner_team=team))
            factories.LineageEdgeFactory(upstream=product, product=factories.DataProductFactory(owner_team=team))

    grow(5, 0)
    few = _count(lambda: client.get(product.get_absolute_url()))
    grow(45, 5)
    many = _count(lambda: client.get(product.get_absolute_url()))
    assert many == few


def test_product_api_detail_update_and_transfer_cost_the_same_with_many_ports(api_for, owner, team, other_team):
    product = factories.DataProductFactory(owner_team=team, domain=team.domain)
    api = api_for(owner)
    url = f"/api/v1/products/{product.pk}/"

    def answers() -> list[int]:
        return [
            _count(lambda: api.get(url)),
            _count(lambda: api.patch(url, {"summary": "Changed."}, format="json")),
        ]

    factories.SchemaFieldFactory(port=factories.OutputPortFactory(product=product))
    few = answers()
    for _ in range(20):
        factories.SchemaFieldFactory(port=factories.OutputPortFactory(product=product))
    assert answers() == few
    other_team.domain = team.domain
    other_team.save()
    transfer = _count(lambda: api.post(f"{url}transfer/", {"team": other_team.slug}, format="json"))
    fewer = factories.DataProductFactory(owner_team=team, domain=team.domain)
    factories.SchemaFieldFactory(port=factories.OutputPortFactory(product=fewer))
    assert (
        _count(lambda: api.post(f"/api/v1/products/{fewer.pk}/transfer/", {"team": other_team.slug}, format="json"))
        == transfer
    )


def test_the_api_list_shows_each_ports_columns_as_the_detail_does(api_for, owner, team):
    product = factories.DataProductFactory(owner_team=team, name="Columns")
    for name in ("b_port", "a_port"):
        port = factories.OutputPortFactory(product=product, name=name)
        factories.SchemaFieldFactory(port=port, name="id", position=1, primary_key=True, nullable=False)
        factories.SchemaFieldFactory(port=port, name="email", position=0, classification="pii")
    factories.OutputPortFactory(product=product, name="empty_port")
    api = api_for(owner)
    detail = api.get(f"/api/v1/products/{product.pk}/").json()
    (listed,) = [row for row in api.get("/api/v1/products/?q=Columns").json()["results"] if row["id"] == product.pk]
    assert listed["ports"] == detail["ports"]
    columns = {port["name"]: [column["name"] for column in port["fields"]] for port in listed["ports"]}
    assert columns == {"a_port": ["email", "id"], "b_port": ["email", "id"], "empty_port": []}
