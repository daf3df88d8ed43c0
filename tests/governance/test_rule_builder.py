"""The proposal form's rule builder: every rule kind goes form -> JSON -> form unchanged, a bad value is refused
with one styled error on its own field, and rules read as sentences on the pages."""

import json

import pytest
from django.urls import reverse

from governance.forms import ProposalForm
from governance.models import Proposal
from governance.rule_builder import KIND_KEYS, builder_initial
from governance.rules import EXAMPLES, rule_sentence
from tests import factories

pytestmark = pytest.mark.django_db

EVERY_KIND = {
    **EXAMPLES,
    "sla_template": {"max_freshness_minutes": 60, "min_completeness_percent": 99.5, "min_availability_percent": 99},
    "min_quality_score": {"minimum": 72.5},
}


@pytest.fixture
def member(team):
    council = factories.CouncilFactory(name="Builder Council")
    user = factories.UserFactory(username="builder-member")
    factories.SeatFactory(council=council, domain=team.domain, holder=user)
    user.council = council
    return user


def _fields(member, kind: str) -> dict:
    return {
        "council": member.council.pk,
        "kind": "adopt_standard",
        "title": "A standard",
        "motivation": "Because.",
        "standard_kind": kind,
        "standard_title": "Rule",
        "standard_text": "Text.",
        "severity": "blocker",
        "grace_days": 14,
    }


def _as_post(initial: dict) -> dict:
    """The builder's initial values as a browser would post them."""
    return {
        name: [str(item) for item in value] if isinstance(value, list) else str(value)
        for name, value in initial.items()
    }


def test_every_kind_has_builder_fields():
    assert set(KIND_KEYS) == set(EXAMPLES)


@pytest.mark.parametrize("kind", list(EVERY_KIND))
def test_every_rule_kind_round_trips_form_json_form(client_for, member, kind):
    rule = EVERY_KIND[kind]
    initial = builder_initial(rule)
    assert set(initial) == {f"rule_{key}" for key in rule}
    response = client_for(member).post(
        reverse("governance:proposal-create"), {**_fields(member, kind), **_as_post(initial)}
    )
    assert response.status_code == 302, response.context["form"].errors
    proposal = Proposal.objects.get()
    assert proposal.rule == rule

    form = ProposalForm(instance=proposal, user=member)
    shown = {name: form[name].value() for name in initial}
    assert _as_post(shown) == _as_post(initial)
    page = client_for(member).get(reverse("governance:proposal-edit", args=[proposal.pk])).content.decode()
    assert f'data-rule-kind="{kind}"' in page


@pytest.mark.parametrize(
    ("kind", "values", "field", "message"),
    [
        (
            "naming_convention",
            {"rule_target": "field_names", "rule_pattern": "([a-z"},
            "rule_pattern",
            "Not a valid regular expression",
        ),
        ("naming_convention", {"rule_pattern": "^[a-z]+$"}, "rule_target", "Required for a naming_convention rule"),
        ("min_quality_score", {"rule_minimum": "140"}, "rule_minimum", "Must be at most 100"),
        ("min_quality_score", {"rule_minimum": "lots"}, "rule_minimum", "Enter a number"),
        (
            "required_classification",
            {"rule_field_pattern": "email", "rule_classification": "secret"},
            "rule_classification",
            "Select a valid choice",
        ),
        ("sla_template", {"rule_max_freshness_minutes": "0"}, "rule_max_freshness_minutes", "Must be greater than 0"),
        ("required_metadata", {}, "rule_require", "Required for a required_metadata rule"),
        ("notice_period", {"rule_days": "400"}, "rule_days", "Must be at most 365"),
    ],
)
def test_bad_builder_input_is_one_styled_error_on_its_field(client_for, member, kind, values, field, message):
    response = client_for(member).post(reverse("governance:proposal-create"), {**_fields(member, kind), **values})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert message in errors[field][0]
    body = response.content.decode()
    assert 'class="field field-error"' in body and 'class="errorlist"' in body
    assert not Proposal.objects.exists()


def test_a_typed_json_rule_still_works_and_a_broken_one_is_one_error(client_for, member):
    data = {**_fields(member, "notice_period"), "rule": "{days: 30"}
    response = client_for(member).post(reverse("governance:proposal-create"), data)
    assert list(response.context["form"].errors) == ["rule"]
    data["rule"] = json.dumps({"days": 30})
    assert client_for(member).post(reverse("governance:proposal-create"), data).status_code == 302
    assert Proposal.objects.get().rule == {"days": 30}


def test_the_form_offers_a_try_a_name_box_and_its_script(client_for, member):
    body = client_for(member).get(reverse("governance:proposal-create")).content.decode()
    assert 'data-pattern-input="id_rule_pattern"' in body and "js/rule-builder.js" in body
    assert "<script>" not in body  # the CSP allows no inline script


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [
        ("naming_convention", "Field names must match `^[a-z][a-z0-9_]*$`."),
        ("min_quality_score", "A product's quality score must be at least 80."),
        (
            "required_classification",
            "Fields whose name contains a match for `email|phone` (any case) must be classified PII.",
        ),
        (
            "sla_template",
            "A product's service levels must promise data at most 1440 minutes old and at least 99 % availability.",
        ),
        ("required_metadata", "Every product must have an owner, a description, a schema and a service level."),
        ("notice_period", "Consumers get at least 30 days' notice before a breaking change or a retirement."),
    ],
)
def test_rules_read_as_sentences(kind, sentence):
    assert rule_sentence(kind, EXAMPLES[kind]) == sentence


def test_standard_page_shows_the_rule_as_a_sentence(client_for, analyst):
    standard = factories.StandardFactory(kind="naming_convention", rule={"target": "slug", "pattern": "^[a-z-]+$"})
    body = client_for(analyst).get(reverse("governance:standard-detail", args=[standard.code])).content.decode()
    assert "Product slugs must match <code>^[a-z-]+$</code>." in body
    assert "{&#x27;target&#x27;" not in body
