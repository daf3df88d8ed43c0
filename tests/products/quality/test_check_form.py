"""The quality-check form shows each kind's own parameters and a column picker from the port's schema; a bad
value is an error on its own field; parameters typed as JSON still work."""

import pytest
from django.urls import reverse

from products.quality.models import QualityCheck
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def port(product):
    port = factories.OutputPortFactory(product=product, name="orders")
    factories.SchemaFieldFactory(port=port, name="order_id", data_type="bigint")
    factories.SchemaFieldFactory(port=port, name="country", data_type="text")
    return port


def _url(product):
    return reverse("products:quality-check-create", args=[product.domain.slug, product.slug])


def _base(port, kind: str, **fields) -> dict:
    return {
        "name": f"{kind} check",
        "kind": kind,
        "port": port.pk,
        "severity": "warning",
        "dimension": "accuracy",
        **fields,
    }


@pytest.mark.parametrize(
    ("kind", "fields", "params"),
    [
        ("freshness", {"column": "order_id", "param_max_age_minutes": "90"}, {"max_age_minutes": 90}),
        ("completeness", {"column": "country", "param_min_percent": "99.5"}, {"min_percent": 99.5}),
        ("row_count", {"param_min_rows": "1", "param_max_rows": "500"}, {"min_rows": 1, "max_rows": 500}),
        ("uniqueness", {"column": "order_id", "param_max_duplicates": "0"}, {"max_duplicates": 0}),
        ("accepted_values", {"column": "country", "param_values": "DE\r\nFR\r\n\r\n"}, {"values": ["DE", "FR"]}),
        (
            "custom_sql",
            {"param_sql": "SELECT COUNT(*) FROM {table}", "param_operator": ">", "param_threshold": "0"},
            {"sql": "SELECT COUNT(*) FROM {table}", "operator": ">", "threshold": 0},
        ),
    ],
)
def test_each_kind_saves_its_params_from_its_own_fields_and_shows_them_again(
    client_for, owner, product, port, kind, fields, params
):
    client = client_for(owner)
    response = client.post(_url(product), _base(port, kind, **fields))
    assert response.status_code == 302, response.context["form"].errors
    check = QualityCheck.objects.get()
    assert check.params == params
    edit = client.get(reverse("products:quality-check-edit", args=[product.domain.slug, product.slug, check.pk]))
    form = edit.context["form"]
    for name, value in fields.items():
        if name.startswith("param_") and name != "param_values":
            assert str(form[name].value()) == value


def test_a_bad_value_is_an_error_on_its_field(client_for, owner, product, port):
    response = client_for(owner).post(_url(product), _base(port, "row_count", param_min_rows="9", param_max_rows="2"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["param_min_rows"] and "above" in errors["param_min_rows"][0]
    assert 'class="field field-error"' in response.content.decode()


def test_custom_sql_refusal_lands_on_the_query_field(client_for, owner, product, port):
    data = _base(port, "custom_sql", param_sql="DELETE FROM t", param_operator=">", param_threshold="0")
    response = client_for(owner).post(_url(product), data)
    assert "single SELECT" in response.context["form"].errors["param_sql"][0]


def test_the_column_picker_lists_the_schema_and_refuses_another_column(client_for, owner, product, port):
    client = client_for(owner)
    body = client.get(_url(product)).content.decode()
    assert '<optgroup label="orders">' in body and '<option value="country">country (text)</option>' in body
    response = client.post(_url(product), _base(port, "uniqueness", column="nope", param_max_duplicates="0"))
    assert "nope is not a column of port orders" in response.context["form"].errors["column"][0]
    assert not QualityCheck.objects.exists()


def test_the_form_has_a_cancel_link_and_no_inline_script(client_for, owner, product, port):
    body = client_for(owner).get(_url(product)).content.decode()
    assert ">Cancel</a>" in body and "js/kind-fields.js" in body and "<script>" not in body
