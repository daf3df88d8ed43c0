"""Rule patterns run on RE2 (``portal.patterns``): a pattern that makes a backtracking engine run for hours
(``(a+)+$`` on 39 ``a`` and a ``!``: 2^39 paths) is answered in linear time wherever a rule meets a name, and a
pattern RE2 cannot run (a backreference, a look-around) is refused up front, naming the rule's key.

Each door is timed twice: the naming rule's own evaluation inside it must take under 100 ms, and the whole request
or job under a second (a full form save on a busy two-core machine with PostgreSQL takes over 100 ms by itself;
backtracking would take hours, so either bound tells them apart)."""

import json
import time

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from governance import rules
from governance.enforcement.models import Violation
from governance.enforcement.tasks import enforcement_chunk
from governance.models import Proposal
from governance.rules import ProductFacts, rule_evaluate, rule_validate
from portal.errors import DomainError
from portal.patterns import PatternError, pattern_compile, pattern_matcher
from products.models import DataProduct
from tests import factories
from tests.governance.conftest import STANDARD

pytestmark = pytest.mark.django_db

EVIL = "^(a+)+$"
NESTED = "^([a-z0-9]+_?)+$"
NAME = "a" * 39 + "!"
BUDGET_S = 0.1
DOOR_BUDGET_S = 1.0


def _timed(call, budget: float = BUDGET_S):
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    assert elapsed < budget, f"took {elapsed:.3f} s"
    return result


@pytest.fixture
def naming_rule_time(monkeypatch):
    """The time spent evaluating naming rules, call by call, wherever they run (the page, the API, a job)."""
    spent: list[float] = []
    evaluate = rules.EVALUATORS["naming_convention"]

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return evaluate(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    monkeypatch.setitem(rules.EVALUATORS, "naming_convention", timed)
    return spent


def _door(call, spent: list[float]):
    """Run one door within a second, and check the naming rule ran inside it within 100 ms."""
    result = _timed(call, DOOR_BUDGET_S)
    assert spent, "the naming rule did not run"
    assert sum(spent) < BUDGET_S, f"the naming rule took {sum(spent):.3f} s"
    return result


@pytest.fixture
def evil_standard(council):
    return factories.StandardFactory(
        council=council,
        code="STD-042",
        kind="naming_convention",
        rule={"target": "name", "pattern": EVIL},
        severity="blocker",
    )


@pytest.fixture
def evil_named_draft(team, owner):
    product = factories.DataProductFactory(owner_team=team, slug="evil-name", name=NAME, status="draft")
    return factories.publishable(product, accountable=owner)


def test_the_helper_answers_catastrophic_patterns_in_linear_time():
    for pattern, text in ((EVIL, NAME), (NESTED, "a" * 29 + "!"), ("(x+x+)+y", "x" * 5000)):
        assert (
            _timed(lambda pattern=pattern, text=text: pattern_compile(pattern, key="rule.pattern").search(text)) is None
        )
    assert pattern_compile("EMAIL", key="k", ignore_case=True).search("customer_email")
    assert not pattern_compile("EMAIL", key="k").search("customer_email")


def test_a_matcher_answers_as_the_compiled_pattern_and_refuses_what_it_refuses():
    found_in = pattern_matcher("EMAIL", key="k", ignore_case=True)
    names = ["customer_email", "email", "id", "EMAIL_HASH", "phone", "customer_email"]
    assert [found_in(name) for name in names] == [
        bool(pattern_compile("EMAIL", key="k", ignore_case=True).search(name)) for name in names
    ]
    assert not pattern_matcher("EMAIL", key="k")("customer_email")
    assert _timed(lambda: pattern_matcher(EVIL, key="rule.pattern")(NAME)) is False
    with pytest.raises(PatternError) as refused:
        pattern_matcher(r"^(a)\1$", key="rule.pattern", field="pattern")
    assert refused.value.field == "pattern" and "backreferences are not supported" in refused.value.message


def test_the_rule_engine_answers_in_linear_time():
    facts = ProductFacts(slug="x", name=NAME)
    messages = _timed(lambda: rule_evaluate("naming_convention", {"target": "name", "pattern": EVIL}, facts))
    assert messages == [f"name `{NAME}` breaks the standard naming convention: must match {EVIL}"]


@pytest.mark.parametrize(
    ("rule", "key", "hint"),
    [
        ({"target": "slug", "pattern": r"^(a)\1$"}, "rule.pattern", "backreferences are not supported"),
        ({"target": "name", "pattern": r"^(?=a)a+$"}, "rule.pattern", "look-ahead and look-behind are not supported"),
        ({"field_pattern": r"(?<!x)mail", "classification": "pii"}, "rule.field_pattern", "look-ahead and look-behind"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_naming_the_key(rule, key, hint):
    kind = "naming_convention" if "target" in rule else "required_classification"
    with pytest.raises(DomainError) as refused:
        rule_validate(kind, rule)
    assert refused.value.field == "rule"
    assert refused.value.message.startswith(f"{key}: not a valid regular expression")
    assert hint in refused.value.message


def test_proposal_form_refuses_a_backreference_and_takes_a_catastrophic_pattern_quickly(
    client_for, council_member, council, seated
):
    client = client_for(council_member)
    data = {
        "council": council.pk,
        "kind": "adopt_standard",
        "title": "Names",
        "motivation": "One style.",
        **{key: value for key, value in STANDARD.items() if key != "rule"},
        "rule": '{"target": "name", "pattern": "^(a)\\\\1$"}',
    }
    response = client.post(reverse("governance:proposal-create"), data)
    assert response.status_code == 200
    assert "rule.pattern: not a valid regular expression" in response.content.decode()
    assert "backreferences are not supported" in response.content.decode()
    assert not Proposal.objects.exists()

    data["rule"] = json.dumps({"target": "name", "pattern": EVIL})
    response = _timed(lambda: client.post(reverse("governance:proposal-create"), data), DOOR_BUDGET_S)
    assert response.status_code == 302
    assert Proposal.objects.get().rule == {"target": "name", "pattern": EVIL}


def test_proposal_api_refuses_a_backreference_naming_the_key(api_for, council_member, council, seated):
    body = {
        "council": council.pk,
        "kind": "adopt_standard",
        "title": "Names",
        "motivation": "One style.",
        **{key: value for key, value in STANDARD.items() if key != "rule"},
        "rule": {"target": "field_names", "pattern": r"(\w)\1"},
    }
    response = api_for(council_member).post("/api/v1/proposals/", body, format="json")
    assert response.status_code == 400
    assert response.json()["rule"][0].startswith("rule.pattern: not a valid regular expression")
    assert not Proposal.objects.exists()


def test_renaming_through_the_product_form_meets_the_pattern_in_linear_time(
    client_for, owner, team, evil_standard, evil_named_draft, django_capture_on_commit_callbacks, naming_rule_time
):
    """Saving the form re-evaluates the product inline, after commit: the pattern runs inside the request."""
    data = {
        "name": "a" * 38 + "?!",
        "owner_team": team.pk,
        "accountable": owner.pk,
        "summary": "A product for tests.",
        "classification": evil_named_draft.classification,
        "freshness_minutes": 60,
        "tags_text": "",
    }
    client = client_for(owner)

    def save():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(evil_named_draft.get_absolute_url() + "edit/", data)
        assert callbacks  # the inline evaluation ran within the timing
        return response

    response = _door(save, naming_rule_time)
    assert response.status_code == 302
    violation = Violation.objects.get(product=evil_named_draft, rule_key="STD-042", resolved_at=None)
    assert violation.message == f"name `{'a' * 38}?!` breaks STD-042 naming convention: must match {EVIL}"


def test_publishing_through_the_page_meets_the_pattern_in_linear_time(
    client_for, owner, evil_standard, evil_named_draft, naming_rule_time
):
    client = client_for(owner)
    url = evil_named_draft.get_absolute_url() + "status/published/"
    response = _door(lambda: client.post(url), naming_rule_time)
    assert response.status_code == 302
    evil_named_draft.refresh_from_db()
    assert evil_named_draft.status == DataProduct.Status.DRAFT
    messages = " ".join(strip_tags(str(m)) for m in client.get(response.url).context["messages"])
    assert f"STD-042 naming convention: must match {EVIL}" in messages


def test_publishing_through_the_api_meets_the_pattern_in_linear_time(
    api_for, owner, evil_standard, evil_named_draft, naming_rule_time
):
    api = api_for(owner)
    response = _door(
        lambda: api.post(f"/api/v1/products/{evil_named_draft.pk}/publish/", {}, format="json"), naming_rule_time
    )
    assert response.status_code == 400
    assert f"STD-042 naming convention: must match {EVIL}" in response.content.decode()
    evil_named_draft.refresh_from_db()
    assert evil_named_draft.status == DataProduct.Status.DRAFT


def test_an_enforcement_chunk_meets_the_pattern_in_linear_time(evil_standard, evil_named_draft, naming_rule_time):
    from governance.enforcement.services import enforcement_run_start

    run = enforcement_run_start(trigger="manual")
    Violation.objects.all().delete()
    naming_rule_time.clear()
    chunk = run.chunks.get()
    assert chunk.product_ids == [evil_named_draft.pk]
    checked = _door(lambda: enforcement_chunk(chunk.pk), naming_rule_time)
    assert checked == 1
    violation = Violation.objects.get(product=evil_named_draft, rule_key="STD-042")
    assert f"must match {EVIL}" in violation.message


def test_a_stored_pattern_re2_cannot_run_blames_no_product(council, evil_named_draft, caplog):
    factories.StandardFactory(
        council=council, code="STD-043", kind="naming_convention", rule={"target": "name", "pattern": r"(a)\1"}
    )
    from governance.enforcement.engine import products_evaluate

    products_evaluate([evil_named_draft.pk])
    assert not Violation.objects.filter(rule_key="STD-043").exists()
    assert "STD-043 cannot be evaluated: rule.pattern" in caplog.text
