"""Every rule kind: the schema refuses bad rules naming the key (in the schema, and through the proposal form and
the API), and evaluation passes or fails with a message that names the field and what is expected."""

import pytest
from django.urls import reverse

from governance.rules import EXAMPLES, FieldFacts, ProductFacts, rule_evaluate, rule_validate
from portal.errors import DomainError
from tests import factories

GOOD = [
    ("naming_convention", {"target": "slug", "pattern": "^[a-z0-9-]+$"}),
    ("naming_convention", {"target": "name", "pattern": "^[A-Z]"}),
    ("naming_convention", {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"}),
    ("min_quality_score", {"minimum": 0}),
    ("min_quality_score", {"minimum": 99.5}),
    ("required_classification", {"field_pattern": "email|phone", "classification": "pii"}),
    ("sla_template", {"max_freshness_minutes": 60}),
    ("sla_template", {"min_completeness_percent": 95, "min_availability_percent": 99.9}),
    ("required_metadata", {"require": ["owner"]}),
    ("required_metadata", {"require": ["owner", "description", "schema", "sla"]}),
    *EXAMPLES.items(),
]

BAD = [
    ("naming_convention", {"target": "slug", "pattern": "([a-z"}, "rule.pattern: not a valid regular expression"),
    ("naming_convention", {"target": "slug", "pattern": ""}, "rule.pattern: must be a non-empty string"),
    ("naming_convention", {"target": "slug", "pattern": "a" * 201}, "rule.pattern: must be at most 200"),
    ("naming_convention", {"target": "table", "pattern": "x"}, "rule.target: must be one of slug, name, field_names"),
    ("naming_convention", {"pattern": "x"}, "rule.target: required"),
    ("naming_convention", {"target": "slug", "pattern": "x", "flags": "i"}, "rule.flags: unknown key"),
    ("min_quality_score", {"minimum": -5}, "rule.minimum: must not be negative (got -5)"),
    ("min_quality_score", {"minimum": 101}, "rule.minimum: must be at most 100"),
    ("min_quality_score", {"minimum": "80"}, "rule.minimum: must be a number"),
    ("min_quality_score", {"minimum": True}, "rule.minimum: must be a number"),
    ("min_quality_score", {}, "rule.minimum: required"),
    ("required_classification", {"field_pattern": "*mail", "classification": "pii"}, "rule.field_pattern: not a valid"),
    ("required_classification", {"field_pattern": "mail", "classification": "secret"}, "rule.classification: must be"),
    ("sla_template", {}, "rule: a sla_template rule needs at least one of"),
    ("sla_template", {"max_freshness_minutes": -60}, "rule.max_freshness_minutes: must not be negative"),
    ("sla_template", {"max_freshness_minutes": 0}, "rule.max_freshness_minutes: must be greater than 0"),
    ("sla_template", {"max_freshness_minutes": 1.5}, "rule.max_freshness_minutes: must be a whole number"),
    ("sla_template", {"min_availability_percent": 120}, "rule.min_availability_percent: must be at most 100"),
    ("sla_template", {"min_completeness_percent": -1}, "rule.min_completeness_percent: must not be negative"),
    ("required_metadata", {"require": []}, "rule.require: must be a non-empty list"),
    ("required_metadata", {"require": ["owner", "budget"]}, "rule.require: unknown item 'budget'"),
    ("required_metadata", {"require": ["owner", "owner"]}, "rule.require: lists an item twice"),
    ("required_metadata", ["owner"], "rule: must be a JSON object"),
    ("colour_scheme", {}, "standard kind: unknown kind"),
]


@pytest.mark.parametrize(("kind", "rule"), GOOD)
def test_valid_rule_is_accepted(kind, rule):
    rule_validate(kind, rule)


@pytest.mark.parametrize(("kind", "rule", "message"), BAD)
def test_bad_rule_is_refused_naming_the_key(kind, rule, message):
    with pytest.raises(DomainError) as caught:
        rule_validate(kind, rule)
    assert caught.value.field == "rule"
    assert caught.value.message.startswith(message), caught.value.message


def facts(**overrides) -> ProductFacts:
    base = {
        "slug": "customer-360",
        "name": "Customer 360",
        "has_owner": True,
        "description": "One row per customer.",
        "port_count": 1,
        "fields": (FieldFacts("customer_id"), FieldFacts("email", "pii")),
        "quality_score": 92.0,
        "freshness_minutes": 60,
        "completeness_percent": 99.5,
        "availability_percent": 99.9,
    }
    return ProductFacts(**{**base, **overrides})


SNAKE = {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"}

EVALUATIONS = [
    # kind, rule, facts, expected messages
    ("naming_convention", SNAKE, facts(), []),
    (
        "naming_convention",
        SNAKE,
        facts(fields=(FieldFacts("EMail"), FieldFacts("ok_field"), FieldFacts("2nd"))),
        [
            "field `EMail` breaks STD-002 naming convention: must match ^[a-z][a-z0-9_]*$",
            "field `2nd` breaks STD-002 naming convention: must match ^[a-z][a-z0-9_]*$",
        ],
    ),
    ("naming_convention", {"target": "slug", "pattern": "^[a-z0-9-]+$"}, facts(), []),
    (
        "naming_convention",
        {"target": "slug", "pattern": "^[a-z0-9-]+$"},
        facts(slug="Customer_360"),
        ["slug `Customer_360` breaks STD-002 naming convention: must match ^[a-z0-9-]+$"],
    ),
    (
        "naming_convention",
        {"target": "name", "pattern": "^[A-Z]"},
        facts(name="customer 360"),
        ["name `customer 360` breaks STD-002 naming convention: must match ^[A-Z]"],
    ),
    ("min_quality_score", {"minimum": 80}, facts(), []),
    ("min_quality_score", {"minimum": 80}, facts(quality_score=80.0), []),
    (
        "min_quality_score",
        {"minimum": 80},
        facts(quality_score=79.5),
        ["quality score 79.5 is below STD-002 minimum 80"],
    ),
    (
        "min_quality_score",
        {"minimum": 80},
        facts(quality_score=None),
        ["quality score missing: STD-002 requires at least 80"],
    ),
    ("required_classification", {"field_pattern": "mail", "classification": "pii"}, facts(), []),
    (
        "required_classification",
        {"field_pattern": "mail|phone", "classification": "pii"},
        facts(fields=(FieldFacts("EMail"), FieldFacts("phone_no", "sensitive"), FieldFacts("city"))),
        [
            "field `EMail` must be classified pii by STD-002 (names matching mail|phone), but is unclassified",
            "field `phone_no` must be classified pii by STD-002 (names matching mail|phone), but is sensitive",
        ],
    ),
    ("sla_template", {"max_freshness_minutes": 60, "min_availability_percent": 99}, facts(), []),
    (
        "sla_template",
        {"max_freshness_minutes": 60},
        facts(freshness_minutes=1440),
        ["freshness SLA 1440 min exceeds STD-002 maximum 60 min"],
    ),
    (
        "sla_template",
        {"max_freshness_minutes": 60, "min_completeness_percent": 99.9, "min_availability_percent": 99},
        facts(freshness_minutes=None, completeness_percent=95.0, availability_percent=None),
        [
            "freshness SLA missing: STD-002 requires at most 60 min",
            "completeness SLA 95 % is below STD-002 minimum 99.9 %",
            "availability SLA missing: STD-002 requires at least 99 %",
        ],
    ),
    ("required_metadata", {"require": ["owner", "description", "schema", "sla"]}, facts(), []),
    (
        "required_metadata",
        {"require": ["owner", "description", "schema", "sla"]},
        facts(
            has_owner=False,
            description="",
            port_count=0,
            fields=(),
            freshness_minutes=None,
            completeness_percent=None,
            availability_percent=None,
        ),
        [
            "owner missing: STD-002 requires an owning team and an accountable person",
            "description missing: STD-002 requires a summary or documentation",
            "schema missing: STD-002 requires at least one output port with a schema",
            "sla missing: STD-002 requires at least one service level (freshness, completeness or availability)",
        ],
    ),
    (
        "required_metadata",
        {"require": ["schema"]},
        facts(port_count=1, fields=()),
        ["schema missing: STD-002 requires at least one output port with a schema"],
    ),
]


@pytest.mark.parametrize(("kind", "rule", "product", "expected"), EVALUATIONS)
def test_rule_evaluation(kind, rule, product, expected):
    rule_validate(kind, rule)
    assert rule_evaluate(kind, rule, product, code="STD-002") == expected


def test_facts_come_from_a_catalog_product(product, owner, django_assert_num_queries):
    from governance.enforcement.facts import product_rows_load
    from products.models import DataProduct

    port = factories.OutputPortFactory(product=product, name="customers")
    factories.SchemaFieldFactory(port=port, name="EMail")
    DataProduct.objects.filter(pk=product.pk).update(accountable=owner)
    with django_assert_num_queries(3):  # products, ports, fields: as plain values, whatever their number
        (row,) = product_rows_load([product.pk])
    product_facts = row.facts
    assert product_facts.has_owner and product_facts.has_schema and product_facts.has_sla
    assert product_facts.fields[0].port == "customers"
    assert rule_evaluate("naming_convention", SNAKE, product_facts, code="STD-002") == [
        "field `EMail` breaks STD-002 naming convention: must match ^[a-z][a-z0-9_]*$"
    ]


# --- bad rules refused when the proposal is saved (the form and the API) --------------------------------------------


BAD_RULES = [
    (
        "naming_convention",
        {"target": "field_names", "pattern": "([a-z"},
        "rule.pattern: not a valid regular expression",
    ),
    ("min_quality_score", {"minimum": -5}, "rule.minimum: must not be negative (got -5)"),
    ("sla_template", {"max_freshness_minutes": -60}, "rule.max_freshness_minutes: must not be negative"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "rule", "message"), BAD_RULES)
def test_bad_rule_refused_through_the_proposal_form_and_the_api(kind, rule, message, client_for, api_for, team):
    import json

    from governance.models import Proposal

    council = factories.CouncilFactory(name="Rules Council")
    member = factories.UserFactory(username="rules-member")
    factories.SeatFactory(council=council, domain=team.domain, holder=member)
    fields = {
        "council": council.pk,
        "kind": "adopt_standard",
        "title": "A standard",
        "motivation": "Because.",
        "standard_kind": kind,
        "standard_title": "Rule",
        "standard_text": "Text.",
        "severity": "blocker",
        "grace_days": 14,
    }
    response = client_for(member).post(reverse("governance:proposal-create"), {**fields, "rule": json.dumps(rule)})
    assert response.status_code == 200
    assert message in response.content.decode()
    response = api_for(member).post("/api/v1/proposals/", {**fields, "rule": rule}, format="json")
    assert response.status_code == 400
    assert response.json()["rule"][0].startswith(message)
    assert not Proposal.objects.exists()
