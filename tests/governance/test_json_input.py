"""Deeply nested JSON in the governance API, the proposal form and the admin's JSON fields: a 400 or a form error
naming the field (``portal.json_input``), never a server error."""

import pytest
from django.urls import reverse

from governance.models import Proposal, Standard
from portal.json_input import MAX_JSON_DEPTH
from tests import factories
from tests.portal.test_json_input import BOMB, DEEP_OBJECT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", [BOMB, DEEP_OBJECT])
def test_proposal_api_answers_400_to_deeply_nested_json(api_for, council_member, seated, body):
    response = api_for(council_member).generic("POST", "/api/v1/proposals/", body, content_type="application/json")
    assert response.status_code == 400
    assert f"at most {MAX_JSON_DEPTH} levels" in response.json()["detail"]
    assert not Proposal.objects.exists()


def test_proposal_form_shows_a_deeply_nested_rule_as_a_field_error(client_for, council_member, council, seated):
    data = {
        "council": council.pk,
        "kind": "adopt_standard",
        "title": "Deep",
        "motivation": "M",
        "standard_kind": "min_quality_score",
        "standard_title": "T",
        "standard_text": "T",
        "rule": DEEP_OBJECT,
        "payload": BOMB,
        "severity": "warning",
        "grace_days": 1,
    }
    response = client_for(council_member).post(reverse("governance:proposal-create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert f"at most {MAX_JSON_DEPTH} levels" in str(errors["rule"])
    assert f"at most {MAX_JSON_DEPTH} levels" in str(errors["payload"])
    assert not Proposal.objects.exists()


def test_admin_json_fields_show_a_deeply_nested_value_as_a_field_error(client_for, admin_user, council):
    standard = factories.StandardFactory(council=council)
    url = reverse("admin:governance_standard_change", args=[standard.pk])
    client = client_for(admin_user)
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data["rule"] = BOMB
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"at most {MAX_JSON_DEPTH} levels" in str(response.context["adminform"].form.errors["rule"])
    standard.refresh_from_db()
    assert standard.rule == {"minimum": 70}
    assert Standard.objects.count() == 1
