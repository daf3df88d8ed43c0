"""Deeply nested JSON is a 400 or a form error naming the field, never a server error: the API's parser, the JSON
form fields of pages and of the admin all go through ``portal.json_input``."""

import json

import pytest
from django.urls import reverse

from portal.json_input import MAX_JSON_DEPTH, JSONInputError, json_input_check, json_input_parse
from products.quality.models import QualityCheck

pytestmark = pytest.mark.django_db

BOMB = "[" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


def nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_the_parser_refuses_depth_without_recursing():
    for text in (BOMB, DEEP_OBJECT, json.dumps(nested(MAX_JSON_DEPTH + 1))):
        with pytest.raises(JSONInputError, match=f"at most {MAX_JSON_DEPTH} levels"):
            json_input_parse(text)
    assert json_input_parse(json.dumps(nested(MAX_JSON_DEPTH))) == nested(MAX_JSON_DEPTH)
    with pytest.raises(JSONInputError, match="NUL"):
        json_input_check({"a": [{"b\x00": 1}]})


@pytest.mark.parametrize("body", [BOMB, DEEP_OBJECT, json.dumps({"name": nested(200)})])
@pytest.mark.parametrize(
    "url", ["/api/v1/products/", "/api/v1/glossary/terms/import/", "/api/v1/access-requests/", "/api/v1/lineage/"]
)
def test_api_answers_400_to_deeply_nested_json(api_for, admin_user, url, body):
    response = api_for(admin_user).generic("POST", url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert f"at most {MAX_JSON_DEPTH} levels" in response.json()["detail"]


def test_api_still_answers_a_syntax_error_as_a_parse_error(api_for, owner):
    response = api_for(owner).generic("POST", "/api/v1/products/", "{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize(
    ("params", "message"),
    [(BOMB, f"at most {MAX_JSON_DEPTH} levels"), ('{"min_rows": "1\\u0000"}', "NUL character")],
)
def test_quality_check_form_shows_deep_or_nul_params_as_a_field_error(client_for, owner, product, params, message):
    url = reverse("products:quality-check-create", args=[product.domain.slug, product.slug])
    data = {"name": "x", "kind": "row_count", "params": params, "severity": "warning", "dimension": "coverage"}
    response = client_for(owner).post(url, data)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["params"])
    assert not QualityCheck.objects.exists()
