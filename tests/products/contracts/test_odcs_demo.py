"""The demo's contracts: every demo product's export validates against the official schema.json, one demo port
shows drift, and the export and import pages and endpoints cost the same number of queries at 3 and 30 ports."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.contracts import odcs, selectors
from products.contracts.models import DriftFinding
from products.models import DataProduct
from tests import factories


@pytest.mark.slow
@pytest.mark.django_db
def test_every_demo_products_export_validates_and_one_port_has_drift(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    admin = get_user_model().objects.get(username="admin")
    exported = 0
    for product in DataProduct.objects.all():
        for document in selectors.product_contracts(admin, product):
            assert odcs.contract_problems(document) == [], (product.slug, odcs.contract_problems(document))
            assert all("logicalType" in prop for prop in document["schema"][0]["properties"])
            exported += 1
    assert exported >= 6
    drifting = {finding.port_id for finding in DriftFinding.objects.filter(resolved_at=None)}
    assert len(drifting) == 1


def _product_with_ports(team, slug: str, count: int):
    product = factories.DataProductFactory(owner_team=team, slug=slug)
    for index in range(count):
        port = factories.OutputPortFactory(product=product, name=f"port_{index}")
        for column in range(4):
            factories.SchemaFieldFactory(port=port, name=f"c{column}", classification="pii" if column == 1 else "")
        factories.QualityCheckFactory(product=product, port=port, kind="row_count", name=f"rows {index}")
        term = factories.TermFactory(name=f"Term {slug} {index}")
        factories.TermLinkFactory(term=term, field=port.fields.first())
    return product


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.django_db
def test_export_pages_and_endpoints_cost_the_same_queries_at_3_and_30_ports(team, owner, client_for, api_for):
    small, large = _product_with_ports(team, "small", 3), _product_with_ports(team, "large", 30)
    client = client_for(owner)
    for suffix in ("contract/", "contract.yaml", "contract.json"):
        few = _queries(client, f"/products/{small.domain.slug}/{small.slug}/{suffix}")
        many = _queries(client, f"/products/{large.domain.slug}/{large.slug}/{suffix}")
        assert few == many, (suffix, few, many)
    api = api_for(owner)
    few = _queries(api, f"/api/v1/contracts/?product={small.pk}")
    many = _queries(api, f"/api/v1/contracts/?product={large.pk}&page_size=30")
    assert few == many
    document = selectors.contract_document(owner, small.ports.first())
    assert document["schema"][0]["properties"][0]["authoritativeDefinitions"][0]["type"] == "businessDefinition"


@pytest.mark.django_db
def test_applying_costs_a_bounded_number_of_queries_per_column(product, owner, api_for):
    """Reading and checking a contract costs the same whatever its size; saving goes through the catalog's
    ``port_save``, which writes each column (and its search index) on its own: at most three queries a column."""
    api = api_for(owner)

    def contract(columns: int, port: str) -> dict:
        return {
            "apiVersion": "v3.1.0",
            "kind": "DataContract",
            "id": f"count-{port}",
            "version": "1.0.0",
            "dataProduct": product.slug,
            "schema": [
                {"name": port, "properties": [{"name": f"c{i}", "logicalType": "string"} for i in range(columns)]}
            ],
        }

    counts = []
    for columns, port in ((3, "few"), (30, "many")):
        with CaptureQueriesContext(connection) as captured:
            response = api.post("/api/v1/contracts/apply/?dry_run=true", contract(columns, port), format="json")
        assert response.status_code == 200
        counts.append(len(captured))
    print(f"dry-run queries: 3 columns {counts[0]}, 30 columns {counts[1]}")
    assert counts[1] <= counts[0] + 3 * 27
