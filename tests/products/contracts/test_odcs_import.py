"""Applying ODCS contracts through the API, the page and ``contract_apply``: bad input is a 400 naming the JSON
path with nothing saved, a dry run shows the diff and its classification and saves nothing, breaking changes
follow the schema-version rules, and exports carry no credential."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.models import AuditEvent, Notification
from products.contracts import imports, selectors
from products.contracts.models import PortContract, SchemaVersion
from products.models import OutboxEvent, OutputPort, SchemaField
from tests import factories

pytestmark = pytest.mark.django_db

TABLE = (Path(__file__).parent / "odcs" / "table.odcs.yaml").read_text()
MODELS = (OutputPort, SchemaField, SchemaVersion, PortContract, AuditEvent, Notification, OutboxEvent)


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def _doc(**changes):
    document = yaml.safe_load(TABLE)
    document.update(changes)
    return document


def _apply(api, body, *, dry_run=False):
    text = body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False)
    url = "/api/v1/contracts/apply/" + ("?dry_run=true" if dry_run else "")
    return api.post(url, data=text.encode(), content_type="application/yaml")


def _with_property(index, **prop):
    document = _doc()
    document["schema"][0]["properties"][index] = prop
    return document


def _breaking():
    document = _doc()
    document["schema"][0]["properties"][0]["physicalType"] = "varchar(20)"  # bigint → varchar: breaking
    document["version"] = "1.1.0"
    return document


BAD = {
    "invalid YAML": ("apiVersion: v3.1.0\nschema: [unclosed\n", "contract"),
    "wrong apiVersion": (_doc(apiVersion="v4.0.0"), "apiVersion"),
    "an ODCS v2 apiVersion": (_doc(apiVersion="v2.2.2"), "apiVersion"),
    "a property without a name": (_with_property(1, logicalType="string"), "schema[0].properties[1].name"),
    "an unknown logicalType": (
        _with_property(0, name="customer_id", logicalType="decimalish"),
        "schema[0].properties[0].logicalType",
    ),
    "a property without a logicalType": (_with_property(2, name="country"), "schema[0].properties[2].logicalType"),
    "an unknown classification": (
        _with_property(1, name="email", logicalType="string", classification="top-secret"),
        "schema[0].properties[1].classification",
    ),
    "two schema objects": (_doc(schema=[*_doc()["schema"], {"name": "other"}]), "schema"),
    "a breaking change without a major version": (_breaking(), "version"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_a_400_naming_the_path_and_saves_nothing(case, product, owner, api_for):
    api = api_for(owner)
    assert _apply(api, TABLE).status_code == 200  # the port exists at v1.0.0, published
    body, path = BAD[case]
    before = _counts()
    response = _apply(api, body)
    assert response.status_code == 400, response.content
    assert path in response.json(), response.json()
    assert _counts() == before
    dry = _apply(api, body, dry_run=True)
    assert dry.status_code == 400 and path in dry.json()


def test_a_contract_naming_an_unknown_or_invisible_product_is_a_404_alike(product, draft, other_owner, owner, api_for):
    """An unknown product and another team's draft answer the same 404, in JSON and YAML, dry run or not."""
    api = api_for(other_owner)
    unknown = api.post("/api/v1/contracts/apply/", _doc(dataProduct="nowhere"), format="json")
    hidden = api.post("/api/v1/contracts/apply/", _doc(dataProduct=draft.slug), format="json")
    assert unknown.status_code == hidden.status_code == 404
    assert unknown.json()["dataProduct"] == ["No data product 'nowhere' that you may see."]
    assert hidden.json()["dataProduct"] == [f"No data product {draft.slug!r} that you may see."]
    assert _apply(api, _doc(dataProduct="nowhere"), dry_run=True).status_code == 404


def test_the_snag_of_the_official_schema_is_reported_as_the_missing_logical_type(product, owner, api_for):
    response = _apply(api_for(owner), _with_property(2, name="country"))
    (message,) = response.json()["schema[0].properties[2].logicalType"]
    assert "give a logicalType" in message and "map" not in message


def test_json_bodies_apply_too_and_garbage_is_a_400(product, owner, api_for):
    api = api_for(owner)
    assert api.post("/api/v1/contracts/apply/", _doc(), format="json").status_code == 200
    assert api.post("/api/v1/contracts/apply/", [1, "x"], format="json").status_code == 400
    assert api.post("/api/v1/contracts/apply/?dry_run=maybe", _doc(), format="json").status_code == 400
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    assert _apply(api, bomb).status_code == 400


def test_dry_run_shows_the_diff_and_its_classification_and_saves_nothing(product, owner, api_for):
    api = api_for(owner)
    _apply(api, TABLE)
    before = _counts()
    document = _breaking()
    document["version"] = "2.0.0"
    response = _apply(api, document, dry_run=True)
    assert response.status_code == 200
    (outcome,) = response.json()["contracts"]
    assert outcome["level"] == "breaking" and outcome["version_from"] == "1.0.0" and outcome["version_to"] == "2.0.0"
    assert [change["kind"] for change in outcome["changes"]] == ["type"]
    assert _counts() == before


def test_a_breaking_change_with_a_major_version_applies_at_once_to_a_port_nobody_consumes(product, owner, api_for):
    api = api_for(owner)
    _apply(api, TABLE)
    document = _breaking()
    document["version"] = "2.0.0"
    with_commit = _apply(api, document)
    assert with_commit.status_code == 200
    port = OutputPort.objects.get(product=product, name="customers")
    assert port.version == "2.0.0" and port.fields.get(name="customer_id").data_type == "varchar(20)"
    assert SchemaVersion.objects.filter(port=port, version="2.0.0", level="breaking", status="applied").exists()
    assert _apply(api, document).json()["contracts"][0]["unchanged"]  # idempotent


def test_a_breaking_change_to_a_consumed_port_waits_for_the_notice_and_consumers_hear_once(
    product, owner, analyst, api_for, django_capture_on_commit_callbacks
):
    from portal.models import Notification

    factories.SubscriptionFactory(product=product, user=analyst)
    api = api_for(owner)
    _apply(api, TABLE)
    document = _breaking()
    document["version"] = "2.0.0"
    with django_capture_on_commit_callbacks(execute=True):
        answer = _apply(api, document)
    assert answer.status_code == 200
    port = OutputPort.objects.get(product=product, name="customers")
    waiting = SchemaVersion.objects.get(port=port, version="2.0.0", status="scheduled")
    assert port.version == "1.0.0" and port.fields.get(name="customer_id").data_type != "varchar(20)"
    (outcome,) = answer.json()["contracts"]
    assert any(f"takes effect on {waiting.effective_at:%Y-%m-%d}" in warning for warning in outcome["warnings"])
    with django_capture_on_commit_callbacks(execute=True):
        again = _apply(api, document).json()["contracts"][0]
    assert again["unchanged"]  # the same document again: it is already waiting
    assert SchemaVersion.objects.filter(port=port, status="scheduled").count() == 1
    assert Notification.objects.filter(recipient=analyst, kind="port.schema_changed").count() == 1


def test_an_outsider_cannot_apply_and_a_draft_is_unknown_to_them(product, draft, other_owner, api_for):
    api = api_for(other_owner)
    assert _apply(api, TABLE).status_code == 403
    response = _apply(api, _doc(dataProduct="churn-scores"))
    assert response.status_code == 404 and "dataProduct" in response.json()  # as if it did not exist


def test_the_page_shows_the_dry_run_then_applies(product, owner, client_for):
    client = client_for(owner)
    url = f"/products/{product.domain.slug}/{product.slug}/contract/apply/"
    preview = client.post(url, {"text": TABLE, "preview": "1"})
    assert preview.status_code == 200 and 'id="contract-plan"' in preview.content.decode()
    assert not OutputPort.objects.filter(name="customers").exists()
    applied = client.post(url, {"text": TABLE, "apply": "1"})
    assert applied.status_code == 302
    assert OutputPort.objects.get(name="customers").fields.count() == 4
    bad = client.post(url, {"text": yaml.safe_dump(_doc(apiVersion="v4.0.0")), "preview": "1"})
    assert bad.status_code == 400 and "apiVersion" in bad.content.decode()


def test_contract_apply_command_applies_and_fails_on_breaking_without_major(product, owner, tmp_path):
    path = tmp_path / "customers.odcs.yaml"
    path.write_text(TABLE)
    out = StringIO()
    call_command("contract_apply", str(path), "--user", owner.username, stdout=out)
    assert "created" in out.getvalue()
    out = StringIO()
    call_command("contract_apply", str(path), "--user", owner.username, stdout=out)
    assert "unchanged" in out.getvalue()
    path.write_text(yaml.safe_dump(_breaking()))
    before = _counts()
    with pytest.raises(CommandError, match="Breaking changes need a new major version"):
        call_command("contract_apply", str(path), "--user", owner.username, "--dry-run")
    with pytest.raises(CommandError):
        call_command("contract_apply", str(path), "--user", owner.username)
    assert _counts() == before


def test_export_names_the_warehouse_but_never_its_credentials(product, owner, monkeypatch):
    monkeypatch.setenv("WH_TEST_DSN", "postgresql://etl_user:s3cret-pw@db.example.internal:6543/edw")
    warehouse = factories.WarehouseFactory(name="edw", engine="postgresql", dsn_env="WH_TEST_DSN", path="")
    port = factories.OutputPortFactory(product=product, warehouse=warehouse, table="sales.orders")
    factories.SchemaFieldFactory(port=port, name="order_id")
    document = selectors.contract_document(owner, port)
    assert document["servers"] == [
        {"server": "edw", "type": "postgresql", "host": "db.example.internal", "port": 6543, "database": "edw"}
        | {"schema": "sales"}
    ]
    text = str(document)
    assert "s3cret" not in text and "etl_user" not in text and "WH_TEST_DSN" not in text


def test_applying_from_the_page_of_another_product_is_refused(product, other_product, owner, api_for):
    with pytest.raises(Exception, match="is not"):
        imports.contracts_apply(actor=owner, text=TABLE, product=other_product)
