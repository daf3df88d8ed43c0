"""Standards enforced: the rule engine with the baseline, the publish gate through every door, continuous
enforcement (idempotent runs, resolution, constant queries per chunk), notifications, auto-actions and waivers.
(Bad rules refused when a proposal is saved: ``tests/governance/test_rules.py``.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.enforcement import engine, services
from governance.enforcement.engine import (
    BASELINE_RULES,
    Rule,
    evaluate,
    products_evaluate,
    publish_gate_check,
    score,
)
from governance.enforcement.models import (
    ComplianceSnapshot,
    EnforcementRun,
    ProductCompliance,
    StandardEnforcement,
    Violation,
    Waiver,
)
from governance.rules import FieldFacts, ProductFacts
from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from products.models import DataProduct
from tests import factories

pytestmark = pytest.mark.django_db

GOOD = ProductFacts(
    slug="customer-360",
    name="Customer 360",
    has_owner=True,
    description="All about customers",
    port_count=1,
    fields=(FieldFacts("customer_id"), FieldFacts("email", classification="pii")),
    quality_score=92.0,
    freshness_minutes=60,
    completeness_percent=99.5,
    availability_percent=99.9,
)


def _with(**changes) -> ProductFacts:
    from dataclasses import replace

    return replace(GOOD, **changes)


def _std(kind: str, rule: dict, code: str = "STD-004", severity: str = "blocker") -> Rule:
    return Rule(key=code, title=code, kind=kind, rule=rule, severity=severity, standard_id=1)


# --- the rule engine, table-driven per kind (baseline included), pass and fail with the message ---------------------

CASES = [
    # (rules, facts, expected messages)
    ([BASELINE_RULES[0]], GOOD, []),
    (
        [BASELINE_RULES[0]],
        _with(has_owner=False),
        ["owner missing: the baseline standard requires an owning team and an accountable person"],
    ),
    ([BASELINE_RULES[1]], GOOD, []),
    (
        [BASELINE_RULES[1]],
        _with(description=""),
        ["description missing: the baseline standard requires a summary or documentation"],
    ),
    ([BASELINE_RULES[2]], GOOD, []),
    (
        [BASELINE_RULES[2]],
        _with(port_count=1, fields=()),
        ["schema missing: the baseline standard requires at least one output port with a schema"],
    ),
    (
        [BASELINE_RULES[2]],
        _with(port_count=0, fields=()),
        ["schema missing: the baseline standard requires at least one output port with a schema"],
    ),
    ([BASELINE_RULES[3]], GOOD, []),
    (
        [BASELINE_RULES[3]],
        _with(freshness_minutes=None),
        ["freshness SLA missing: the baseline standard requires a freshness guarantee in minutes"],
    ),
    ([_std("naming_convention", {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"}, "STD-002")], GOOD, []),
    (
        [_std("naming_convention", {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"}, "STD-002")],
        _with(fields=(FieldFacts("EMail"), FieldFacts("ok_name"))),
        ["field `EMail` breaks STD-002 naming convention: must match ^[a-z][a-z0-9_]*$"],
    ),
    (
        [_std("naming_convention", {"target": "slug", "pattern": "^[a-z-]+$"})],
        _with(slug="Customer_360"),
        ["slug `Customer_360` breaks STD-004 naming convention: must match ^[a-z-]+$"],
    ),
    ([_std("min_quality_score", {"minimum": 80})], GOOD, []),
    (
        [_std("min_quality_score", {"minimum": 80})],
        _with(quality_score=71.5),
        ["quality score 71.5 is below STD-004 minimum 80"],
    ),
    (
        [_std("min_quality_score", {"minimum": 80})],
        _with(quality_score=None),
        ["quality score missing: STD-004 requires at least 80"],
    ),
    ([_std("required_classification", {"field_pattern": "email", "classification": "pii"})], GOOD, []),
    (
        [_std("required_classification", {"field_pattern": "email", "classification": "pii"})],
        _with(fields=(FieldFacts("customer_email"),)),
        ["field `customer_email` must be classified pii by STD-004 (names matching email), but is unclassified"],
    ),
    ([_std("sla_template", {"max_freshness_minutes": 60})], GOOD, []),
    (
        [_std("sla_template", {"max_freshness_minutes": 60})],
        _with(freshness_minutes=1440),
        ["freshness SLA 1440 min exceeds STD-004 maximum 60 min"],
    ),
    (
        [_std("sla_template", {"min_availability_percent": 99.95})],
        _with(availability_percent=99.5),
        ["availability SLA 99.5 % is below STD-004 minimum 99.95 %"],
    ),
    ([_std("required_metadata", {"require": ["owner", "description"]})], GOOD, []),
    (
        [_std("required_metadata", {"require": ["sla"]})],
        _with(freshness_minutes=None, completeness_percent=None, availability_percent=None),
        ["sla missing: STD-004 requires at least one service level (freshness, completeness or availability)"],
    ),
]


@pytest.mark.parametrize(("rules", "facts", "expected"), CASES)
def test_each_rule_kind_passes_or_fails_with_its_message(rules, facts, expected):
    assert [failure.message for failure in evaluate(facts, rules)] == expected


def test_score_weighs_blockers_three_times_warnings():
    warning = _std("min_quality_score", {"minimum": 95}, code="STD-009", severity="warning")
    rules = [*BASELINE_RULES, warning]  # 4 blockers (12) + 1 warning (1)
    assert score(rules, evaluate(GOOD, rules)) == Decimal("92.31")  # the warning fails: 12/13
    assert score(rules, evaluate(_with(has_owner=False, quality_score=99), rules)) == Decimal("76.92")  # 10/13
    assert score(rules, []) == Decimal("100.00")


# --- the publish gate, alike through the page, the API and the admin action -----------------------------------------


def _draft_missing(team, owner, missing: str) -> DataProduct:
    product = factories.publishable(
        factories.DataProductFactory(owner_team=team, slug=f"draft-{missing}", status="draft"), accountable=owner
    )
    if missing == "owner":
        DataProduct.objects.filter(pk=product.pk).update(accountable=None)
    elif missing == "schema":
        product.ports.all().delete()
    elif missing == "freshness":
        DataProduct.objects.filter(pk=product.pk).update(freshness_minutes=None)
    product.refresh_from_db()
    return product


def _publish_page(client, admin_client, product):
    from django.utils.html import strip_tags

    response = client.post(product.get_absolute_url() + "status/published/", follow=True)
    return response.status_code == 200, " ".join(strip_tags(str(m)) for m in response.context["messages"])


def _publish_api(api, admin_client, product):
    response = api.post(f"/api/v1/products/{product.pk}/publish/", {}, format="json")
    return response.status_code in (200, 400), response.content.decode()


def _publish_admin(client, admin_client, product):
    response = admin_client.post(
        reverse("admin:products_dataproduct_changelist"),
        {"action": "publish_products", "_selected_action": [product.pk]},
        follow=True,
    )
    return response.status_code == 200, " ".join(str(m) for m in response.context["messages"])


EXPECTED = {
    "owner": "owner missing: the baseline standard requires an owning team and an accountable person",
    "schema": "schema missing: the baseline standard requires at least one output port with a schema",
    "freshness": "freshness SLA missing: the baseline standard requires a freshness guarantee in minutes",
}


@pytest.mark.parametrize("missing", ["owner", "schema", "freshness"])
@pytest.mark.parametrize("door", [_publish_page, _publish_api, _publish_admin], ids=["page", "api", "admin"])
def test_publishing_is_refused_until_the_baseline_is_met(
    missing, door, team, owner, admin_user, client_for, api_for, client
):
    from django.test import Client

    product = _draft_missing(team, owner, missing)
    admin_client = Client()
    admin_client.force_login(admin_user)
    user_client = api_for(owner) if door is _publish_api else client_for(owner)

    ok, said = door(user_client, admin_client, product)
    assert ok
    assert "Publishing is blocked by 1 failing standard" in said
    assert EXPECTED[missing] in said
    product.refresh_from_db()
    assert product.status == "draft"
    assert not AuditEvent.objects.filter(action="product.published", target_id=str(product.pk)).exists()

    factories.publishable(product, accountable=owner)  # fixed
    ok, said = door(user_client, admin_client, product)
    assert ok
    product.refresh_from_db()
    assert product.status == "published"


def test_api_refusal_is_a_400_listing_every_failure(team, owner, api_for):
    product = factories.DataProductFactory(owner_team=team, status="draft", freshness_minutes=None)
    response = api_for(owner).post(f"/api/v1/products/{product.pk}/publish/", {}, format="json")
    assert response.status_code == 400
    body = response.content.decode()
    assert "blocked by 3 failing standards" in body
    for missing in ("owner", "schema", "freshness"):
        assert EXPECTED[missing] in body


def test_warnings_show_but_do_not_block(team, owner, draft):
    factories.StandardFactory(code="STD-010", kind="min_quality_score", rule={"minimum": 90}, severity="warning")
    factories.publishable(draft, accountable=owner)
    blocking, warnings = engine.blocking_failures(draft)
    assert blocking == []
    assert [w.message for w in warnings] == ["quality score missing: STD-010 requires at least 90"]
    publish_gate_check(draft)  # no error


def test_a_blocker_in_force_blocks_a_draft_even_within_its_grace_period(team, owner, draft):
    factories.StandardFactory(
        code="STD-011", kind="sla_template", rule={"max_freshness_minutes": 30}, severity="blocker", grace_days=30
    )
    factories.publishable(draft, accountable=owner)
    with pytest.raises(DomainError, match="freshness SLA 60 min exceeds STD-011 maximum 30 min"):
        publish_gate_check(draft)


def test_a_product_published_before_gets_the_grace_period_then_is_blocked(team, owner):
    product = factories.publishable(factories.DataProductFactory(owner_team=team, status="deprecated"), owner)
    DataProduct.objects.filter(pk=product.pk).update(published_at=timezone.now() - timedelta(days=90))
    standard = factories.StandardFactory(
        code="STD-012", kind="sla_template", rule={"max_freshness_minutes": 30}, severity="blocker", grace_days=14
    )
    publish_gate_check(product)  # within the grace period: back to published is allowed
    standard.effective_from = timezone.localdate() - timedelta(days=15)
    standard.save()
    with pytest.raises(DomainError, match="STD-012"):
        publish_gate_check(product)


def test_an_approved_waiver_lifts_the_block_until_it_expires(team, owner, draft, admin_user):
    factories.StandardFactory(code="STD-013", kind="min_quality_score", rule={"minimum": 80}, severity="blocker")
    factories.publishable(draft, accountable=owner)
    with pytest.raises(DomainError):
        publish_gate_check(draft)
    waiver = services.waiver_request(
        actor=owner,
        product=draft,
        standard_code="STD-013",
        reason="Quality checks arrive next sprint.",
        expires_at=timezone.now() + timedelta(days=10),
    )
    with pytest.raises(DomainError):
        publish_gate_check(draft)  # requested, not yet approved
    services.waiver_decide(actor=admin_user, waiver=waiver, approve=True)
    publish_gate_check(draft)
    Waiver.objects.filter(pk=waiver.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert services.waivers_expire() == 1
    assert services.waivers_expire() == 0
    assert Waiver.objects.get(pk=waiver.pk).status == "expired"
    with pytest.raises(DomainError):
        publish_gate_check(draft)


def test_nobody_decides_their_own_waiver_and_a_decision_is_final(team, owner, draft, admin_user):
    from django.core.exceptions import PermissionDenied

    from portal.errors import TransitionNotAllowed

    factories.StandardFactory(code="STD-014")
    waiver = services.waiver_request(
        actor=admin_user, product=draft, standard_code="STD-014", reason="R", expires_at=timezone.now() + timedelta(1)
    )
    with pytest.raises(PermissionDenied):
        services.waiver_decide(actor=admin_user, waiver=waiver, approve=True)
    with pytest.raises(PermissionDenied):
        services.waiver_decide(actor=owner, waiver=waiver, approve=True)  # an owner is not the chair
    chair = factories.UserFactory(username="the-chair")
    factories.SeatFactory(is_chair=True, domain=None, holder=chair)
    services.waiver_decide(actor=chair, waiver=waiver, approve=False, note="Fix it instead.")
    with pytest.raises(TransitionNotAllowed):
        services.waiver_decide(actor=chair, waiver=waiver, approve=True)


def test_waivers_are_refused_for_the_baseline_and_past_dates(owner, draft):
    with pytest.raises(DomainError, match="not a standard in force"):
        services.waiver_request(
            actor=owner,
            product=draft,
            standard_code="baseline:owner",
            reason="R",
            expires_at=timezone.now() + timedelta(days=1),
        )
    factories.StandardFactory(code="STD-015")
    with pytest.raises(DomainError, match="future"):
        services.waiver_request(
            actor=owner, product=draft, standard_code="STD-015", reason="R", expires_at=timezone.now()
        )


# --- continuous enforcement -----------------------------------------------------------------------------------------


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Start a run and let its chunk tasks (published on commit, eager in tests) run; returns the run, refreshed."""

    def start(**kwargs):
        kwargs.setdefault("trigger", "manual")
        with django_capture_on_commit_callbacks(execute=True):
            run = services.enforcement_run_start(**kwargs)
        run.refresh_from_db()
        return run

    return start


def _open_set():
    return set(
        Violation.objects.filter(resolved_at__isnull=True).values_list("product_id", "rule_key", "message_key", "pk")
    )


def test_enforcement_run_twice_leaves_the_same_violation_set(team, owner, product, draft, run_now):
    factories.StandardFactory(
        code="STD-020", kind="naming_convention", rule={"target": "field_names", "pattern": "^[a-z_]+$"}
    )
    port = factories.OutputPortFactory(product=product)
    factories.SchemaFieldFactory(port=port, name="EMail")
    factories.SchemaFieldFactory(port=port, name="Phone")
    first = run_now()
    assert first.status == "done" and first.products_checked == 2 and first.violations_opened > 0
    before = _open_set()
    assert {rule for _p, rule, _k, _pk in before if _p == product.pk} == {"baseline:owner", "STD-020"}
    assert Violation.objects.filter(product=product, rule_key="STD-020").count() == 2  # one per field
    total = Violation.objects.count()

    second = run_now()
    assert second.status == "done" and second.violations_opened == 0 and second.violations_resolved == 0
    assert _open_set() == before
    assert Violation.objects.count() == total


def test_a_fixed_product_has_its_violation_resolved_on_the_next_run(team, owner, product, run_now):
    run_now()
    violation = Violation.objects.get(product=product, rule_key="baseline:owner")
    factories.publishable(product, accountable=owner)
    run = run_now()
    violation.refresh_from_db()
    assert violation.resolved_at is not None
    assert run.violations_resolved >= 1
    assert not Violation.objects.filter(product=product, resolved_at__isnull=True).exists()
    assert ProductCompliance.objects.get(product=product).score == Decimal("100.00")


def test_chunks_fan_out_and_the_last_one_closes_the_run(team, run_now):
    for index in range(7):
        factories.DataProductFactory(owner_team=team, slug=f"p-{index}")
    run = run_now(chunk_size=3)
    assert (run.chunks_total, run.chunks_done, run.products_checked, run.status) == (3, 3, 7, "done")
    assert run.finished_at is not None and run.score is not None
    overall = ComplianceSnapshot.objects.get(run=run, domain=None, product=None)
    assert overall.products == 7
    assert ComplianceSnapshot.objects.filter(run=run, domain=team.domain).exists()


def test_a_run_still_going_is_not_started_twice(team, product):
    running = EnforcementRun.objects.create(chunks_total=1)
    assert services.enforcement_run_start(trigger="manual") == running
    EnforcementRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(hours=3))
    assert services.enforcement_run_start(trigger="manual") == running  # the sweep resumes it; no second run
    EnforcementRun.objects.filter(pk=running.pk).update(status="done")
    fresh = services.enforcement_run_start(trigger="manual")
    assert fresh.pk != running.pk and fresh.status == "running"


def _queries_for_chunk(team, count: int, prefix: str) -> tuple[list[str], list[str]]:
    factories.StandardFactory(code=f"STD-{prefix}", kind="min_quality_score", rule={"minimum": 50})
    ids = []
    for index in range(count):
        product = factories.DataProductFactory(owner_team=team, slug=f"{prefix}-{index}")
        port = factories.OutputPortFactory(product=product)
        factories.SchemaFieldFactory(port=port, name="Bad Name" if index % 2 else "good_name")
        ids.append(product.pk)
    with CaptureQueriesContext(connection) as first:
        products_evaluate(ids)  # opens violations, notifies owners, writes scores
    with CaptureQueriesContext(connection) as second:
        products_evaluate(ids)  # steady state
    return [q["sql"] for q in first.captured_queries], [q["sql"] for q in second.captured_queries]


def _not_insert(queries: list[str]) -> int:
    return sum(1 for sql in queries if not sql.lstrip().upper().startswith("INSERT"))


def test_queries_per_chunk_do_not_grow_with_the_chunk_size(team, owner, member):
    small_first, small_steady = _queries_for_chunk(team, 5, "small")
    Violation.objects.all().delete()
    Notification.objects.all().delete()
    large_first, large_steady = _queries_for_chunk(team, 50, "large")
    print(
        f"queries per chunk: 5 products {len(small_first)} then {len(small_steady)}; "
        f"50 products {len(large_first)} then {len(large_steady)}"
    )
    assert len(small_steady) == len(large_steady)
    # Opening violations: the same statements; only SQLite splits a bulk INSERT into batches of 999 parameters.
    assert _not_insert(small_first) == _not_insert(large_first)
    if connection.vendor == "postgresql":
        assert len(small_first) == len(large_first)


def test_owners_are_notified_once_when_a_violation_opens(team, owner, member, product):
    products_evaluate([product.pk])
    products_evaluate([product.pk])
    notes = Notification.objects.filter(kind="governance.violation_open")
    opened = Violation.objects.filter(product=product).count()
    assert opened == 2  # no accountable person, no schema
    assert notes.count() == 2 * opened
    assert set(notes.values_list("recipient__username", flat=True)) == {"mo", "olivia"}
    assert any("owner missing" in note.body for note in notes)


def test_drafts_get_violations_but_no_notifications(team, owner, draft):
    products_evaluate([draft.pk])
    assert Violation.objects.filter(product=draft).exists()
    assert not Notification.objects.filter(kind__startswith="governance.violation").exists()


def _published_breaking_std(team, owner, *, grace_days: int, code: str = "STD-030"):
    product = factories.publishable(factories.DataProductFactory(owner_team=team, slug="breaker"), owner)
    standard = factories.StandardFactory(
        code=code, kind="sla_template", rule={"max_freshness_minutes": 30}, severity="blocker", grace_days=grace_days
    )
    return product, standard


def test_owners_hear_once_when_a_blocker_passes_its_grace_period(team, owner):
    product, standard = _published_breaking_std(team, owner, grace_days=7)
    products_evaluate([product.pk])
    assert not Notification.objects.filter(kind="governance.violation_grace_over").exists()
    later = timezone.now() + timedelta(days=8)
    products_evaluate([product.pk], now=later)
    products_evaluate([product.pk], now=later)
    assert Notification.objects.filter(kind="governance.violation_grace_over", recipient=owner).count() == 1


def test_a_blocker_opened_past_its_grace_is_told_of_once_as_it_opens(team, owner):
    product, standard = _published_breaking_std(team, owner, grace_days=0)
    with CaptureQueriesContext(connection) as first:
        products_evaluate([product.pk])
    violation = Violation.objects.get(product=product, rule_key=standard.code)
    assert violation.notified_open is True and violation.notified_grace is True
    # Stored already marked: no UPDATE of the row just inserted.
    assert not [q["sql"] for q in first.captured_queries if q["sql"].startswith('UPDATE "governance_violation"')]
    products_evaluate([product.pk])
    grace = Notification.objects.filter(kind="governance.violation_grace_over", recipient=owner)
    assert grace.count() == 1 and standard.code in grace.get().title


def test_a_waived_blocker_opened_past_its_grace_is_not_told_of(team, owner):
    product, standard = _published_breaking_std(team, owner, grace_days=0)
    factories.WaiverFactory(product=product, standard_code=standard.code, status="approved", requested_by=owner)
    products_evaluate([product.pk])
    assert Violation.objects.get(product=product, rule_key=standard.code).notified_grace is False
    assert not Notification.objects.filter(kind="governance.violation_grace_over").exists()


def test_auto_action_badge_after_grace_and_none_while_waived(team, owner, admin_user):
    product, standard = _published_breaking_std(team, owner, grace_days=0)
    services.standard_auto_action_set(actor=admin_user, code=standard.code, auto_action="non_compliant_badge")
    assert AuditEvent.objects.filter(action="standard.auto_action", to_state="non_compliant_badge").exists()
    products_evaluate([product.pk])
    assert ProductCompliance.objects.get(product=product).non_compliant is True
    waiver = factories.WaiverFactory(
        product=product, standard_code=standard.code, status="approved", requested_by=owner
    )
    products_evaluate([product.pk])
    assert ProductCompliance.objects.get(product=product).non_compliant is False
    assert waiver.pk


def test_auto_action_deprecate_moves_the_product_and_is_audited(team, owner, admin_user):
    product, standard = _published_breaking_std(team, owner, grace_days=0)
    services.standard_auto_action_set(actor=admin_user, code=standard.code, auto_action="deprecate")
    products_evaluate([product.pk])
    product.refresh_from_db()
    assert product.status == "deprecated"
    event = AuditEvent.objects.get(action="product.deprecated", target_id=str(product.pk))
    assert event.actor is None and event.data["standard"] == standard.code
    assert StandardEnforcement.objects.get(code=standard.code).auto_action == "deprecate"


def test_one_product_is_re_evaluated_on_commit_when_it_changes(
    team, owner, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        DataProduct.objects.get(pk=product.pk).save()
    assert Violation.objects.filter(product=product, rule_key="baseline:owner").exists()
    with django_capture_on_commit_callbacks(execute=True):
        factories.publishable(product, accountable=owner)
    assert not Violation.objects.filter(product=product, resolved_at__isnull=True).exists()


def test_nothing_is_evaluated_when_the_transaction_rolls_back(product, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                DataProduct.objects.get(pk=product.pk).save()
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Violation.objects.exists()


def test_publish_refusal_lists_each_gap_once_with_a_fix_link(team, owner, client_for):
    factories.StandardFactory(
        code="STD-020", kind="required_metadata", rule={"require": ["owner", "schema"]}, severity="blocker"
    )
    product = factories.DataProductFactory(owner_team=team, status="draft", freshness_minutes=None)
    response = client_for(owner).post(product.get_absolute_url() + "status/published/", follow=True)
    (message,) = [str(m) for m in response.context["messages"]]
    assert "blocked by 3 failing standards" in message
    assert message.count("owner missing") == 1 and message.count("schema missing") == 1
    assert "baseline:owner, STD-020" in message
    assert f'href="{product.get_absolute_url()}ports/new/"' in message and "Fix it" in message
    assert '<ul class="refusal">' in response.content.decode()
