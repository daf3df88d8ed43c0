"""Wiring a port to its warehouse table: owners pick a registered warehouse and a table in the port editor or the
API; the portal reads the table's columns first (an empty schema is filled from them), and an unknown table or a
declared column the table lacks is refused naming it, with nothing saved. A newly wired port's checks then run."""

import pytest

from products.models import OutputPort
from products.quality import services as quality_services
from products.quality.models import CheckResult
from tests import factories

pytestmark = pytest.mark.django_db


def _editor(product) -> str:
    return f"/products/{product.domain.slug}/{product.slug}/ports/new/"


def _form(warehouse, table: str, rows=()) -> dict:
    data = {
        "name": "customers",
        "kind": "table",
        "location": "",
        "version": "1.0.0",
        "description": "",
        "warehouse": warehouse.pk,
        "table": table,
    }
    data.update({"fields-TOTAL_FORMS": str(max(len(rows), 1)), "fields-INITIAL_FORMS": "0"})
    for index, name in enumerate(rows):
        data.update(
            {f"fields-{index}-name": name, f"fields-{index}-data_type": "string", f"fields-{index}-nullable": "on"}
        )
    return data


def test_owner_wires_a_port_and_the_schema_is_prefilled_from_the_table(client, owner, product, demo_warehouse):
    client.force_login(owner)
    response = client.post(_editor(product), _form(demo_warehouse, "customer_360"))
    assert response.status_code == 302, response.content.decode()[:2000]
    port = OutputPort.objects.get(product=product, name="customers")
    assert (port.warehouse_id, port.table) == (demo_warehouse.pk, "customer_360")
    assert list(port.fields.order_by("position").values_list("name", flat=True))[:2] == ["customer_id", "email"]


def test_an_unknown_table_is_a_form_error_naming_it_and_nothing_is_saved(client, owner, product, demo_warehouse):
    client.force_login(owner)
    response = client.post(_editor(product), _form(demo_warehouse, "no_such_table", rows=["customer_id"]))
    assert response.status_code == 200
    assert "has no table no_such_table" in response.content.decode()
    assert not OutputPort.objects.filter(product=product).exists()


def test_a_column_the_table_lacks_is_a_form_error_naming_it(client, owner, product, demo_warehouse):
    client.force_login(owner)
    response = client.post(_editor(product), _form(demo_warehouse, "customer_360", rows=["customer_id", "shoe_size"]))
    assert response.status_code == 200
    assert "has no column shoe_size" in response.content.decode()
    assert not OutputPort.objects.filter(product=product).exists()


def test_api_refuses_unknown_table_and_mismatch_with_400_naming_the_field(api_for, owner, product, demo_warehouse):
    api = api_for(owner)
    body = {"product": product.pk, "name": "customers", "kind": "table", "warehouse": demo_warehouse.pk}
    unknown = api.post("/api/v1/ports/", {**body, "table": "nope"}, format="json")
    assert unknown.status_code == 400 and "table" in unknown.json(), unknown.content
    mismatch = api.post(
        "/api/v1/ports/",
        {**body, "table": "customer_360", "fields": [{"name": "customer_id"}, {"name": "shoe_size"}]},
        format="json",
    )
    assert mismatch.status_code == 400 and "shoe_size" in str(mismatch.json()["fields"])
    assert not OutputPort.objects.filter(product=product).exists()
    made = api.post("/api/v1/ports/", {**body, "table": "customer_360"}, format="json")
    assert made.status_code == 201 and len(made.json()["fields"]) == 7


def test_outsider_cannot_wire_a_port_of_another_team(api_for, other_owner, product, demo_warehouse):
    body = {
        "product": product.pk,
        "name": "x",
        "kind": "table",
        "warehouse": demo_warehouse.pk,
        "table": "customer_360",
    }
    assert api_for(other_owner).post("/api/v1/ports/", body, format="json").status_code == 404
    assert not OutputPort.objects.filter(product=product).exists()


def test_run_checks_now_runs_on_a_newly_wired_port(
    client, owner, product, demo_warehouse, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    assert client.post(_editor(product), _form(demo_warehouse, "customer_360")).status_code == 302
    port = OutputPort.objects.get(product=product, name="customers")
    check = factories.QualityCheckFactory(product=product, port=port, kind="row_count", params={"min_rows": 1})
    with django_capture_on_commit_callbacks(execute=True):
        quality_services.quality_run_start(actor=owner, product=product)
    result = CheckResult.objects.filter(quality_check=check).latest("pk")
    assert result.state == "passed", result.__dict__
