"""SLAs as each product declares them: every SLA field has its row, compliance and the error budget are measured
against the product's own targets over 30 days, the burn rate says how fast the budget goes, an exhausted budget
opens one incident (resolved once met again), and the API and its OpenAPI carry all of it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from products.quality import services as quality_services
from products.quality.models import Incident
from products.quality.scoring import burn_rate, error_budget
from tests import factories
from tests.pages import product_panel_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def promising(product):
    """Customer 360 promises 99.5 % completeness, 99.9 % availability, 60 minutes' freshness, 365 days' retention."""
    product.completeness_percent = Decimal("99.5")
    product.availability_percent = Decimal("99.9")
    product.freshness_minutes = 60
    product.retention_days = 365
    product.save()
    return product


def _completeness(product, *values, at=None):
    check = factories.QualityCheckFactory(product=product, kind="completeness", column="email", name="email filled")
    for value in values:
        factories.CheckResultFactory(
            quality_check=check, state="passed", observed_value=value, measured_at=at or timezone.now()
        )
    return check


def test_error_budget_arithmetic():
    assert error_budget(99.0, 99.5) == {"left": 0.0, "consumed": 200.0, "exhausted": True}
    assert error_budget(99.75, 99.5)["left"] == pytest.approx(50.0)
    assert error_budget(100, 100) == {"left": 100.0, "consumed": 0.0, "exhausted": False}
    assert error_budget(99.99, 100)["exhausted"]
    assert burn_rate(99.0, 99.5) == pytest.approx(2.0)
    assert burn_rate(99.5, 100) is None and burn_rate(100, 100) == 0.0


def test_promising_99_5_completeness_with_99_0_measured_is_missed_with_its_budget_in_the_api(
    promising, analyst, api_for
):
    _completeness(promising, 99.0, 99.0)
    response = api_for(analyst).get(f"/api/v1/products/{promising.pk}/sla/")
    assert response.status_code == 200
    rows = {row["metric"]: row for row in response.json()["metrics"]}
    completeness = rows["completeness"]
    assert completeness["target"] == 99.5 and completeness["met_percent"] == 99.0
    assert completeness["status"] == "missed" and completeness["ok"] is False
    assert completeness["budget_left_percent"] == 0.0 and completeness["budget_consumed_percent"] == 200.0
    assert completeness["burn_rate"] == 2.0
    assert set(rows) == {"freshness", "completeness", "availability", "retention"}
    assert rows["freshness"]["target"] == 60 and rows["freshness"]["unit"] == "minutes"
    assert rows["retention"]["status"] == "not_monitored"


def test_the_sla_is_in_the_openapi_schema(analyst, api_for):
    schema = api_for(analyst).get("/api/v1/schema/?format=json").json()
    assert "/api/v1/products/{product_pk}/sla/" in schema["paths"]
    properties = schema["components"]["schemas"]["SlaMetric"]["properties"]
    assert {"budget_left_percent", "burn_rate", "target", "status"} <= set(properties)


def test_every_sla_field_has_its_row_on_the_product_page(promising, owner, client_for):
    _completeness(promising, 99.0)
    html = client_for(owner).get(product_panel_url(promising, "quality")).content.decode()
    for metric in ("freshness", "completeness", "availability", "retention"):
        assert f'data-sla="{metric}"' in html
    assert 'data-sla="completeness" data-sla-status="missed"' in html
    assert "at most 60 min old" in html and "99.5 %" in html


def test_freshness_is_measured_against_the_products_own_minutes(promising):
    check = factories.QualityCheckFactory(
        product=promising, kind="freshness", column="t", params={"max_age_minutes": 5}
    )
    now = timezone.now()
    for index, age in enumerate([10, 20, 30, 90]):  # the check's own 5 minutes fail all; the promise is 60
        factories.CheckResultFactory(
            quality_check=check, state="failed", observed_value=age, measured_at=now - timedelta(hours=index)
        )
    freshness = {m["metric"]: m for m in quality_services.quality_sla(promising, now=now)}["freshness"]
    assert freshness["met_percent"] == 75.0 and freshness["objective_percent"] == 99.0
    assert freshness["status"] == "missed"


def test_a_met_target_spent_too_fast_is_at_risk(promising):
    check = _completeness(promising, 100.0, 100.0, 100.0, at=timezone.now() - timedelta(days=10))
    factories.CheckResultFactory(quality_check=check, state="passed", observed_value=99.0)  # today: 2× the budget
    completeness = {m["metric"]: m for m in quality_services.quality_sla(promising)}["completeness"]
    assert completeness["met_percent"] == 99.75 and completeness["status"] == "at_risk"
    assert completeness["burn_rate"] == 2.0 and completeness["budget_left_percent"] == 50.0


def test_an_exhausted_budget_opens_one_incident_that_resolves_itself(promising):
    check = _completeness(promising, 99.0)
    quality_services.quality_product_evaluate(promising.pk)
    quality_services.quality_product_evaluate(promising.pk)  # the sweep again: still one
    incident = Incident.objects.get(kind="sla_miss", metric="completeness")
    assert incident.resolved_at is None and "budget exhausted" in incident.summary
    check.results.update(observed_value=100.0)
    quality_services.quality_product_evaluate(promising.pk)
    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_a_drafts_sla_is_invisible_to_outsiders(draft, analyst, owner, api_for):
    assert api_for(analyst).get(f"/api/v1/products/{draft.pk}/sla/").status_code == 404
    assert api_for(owner).get(f"/api/v1/products/{draft.pk}/sla/").status_code == 200
