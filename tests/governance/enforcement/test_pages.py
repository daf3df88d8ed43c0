"""Enforcement seen through the pages and the API: the product page and API show the score, the dashboard draws
the trend, lists cost a fixed number of queries, the run row polls while running."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.enforcement.engine import compliance_snapshot_take, products_evaluate
from governance.enforcement.models import EnforcementRun
from tests import factories
from tests.pages import product_panel_url

pytestmark = pytest.mark.django_db


def test_product_page_shows_score_and_violations_to_the_team_only(client_for, owner, analyst, product):
    products_evaluate([product.pk])
    page = client_for(owner).get(product_panel_url(product, "compliance")).content.decode()
    assert 'id="compliance"' in page and "Score " in page
    assert "owner missing: the baseline standard requires" in page
    page = client_for(analyst).get(product_panel_url(product, "compliance")).content.decode()
    assert "Score " in page
    assert "owner missing" not in page


def test_product_api_carries_the_compliance_score_in_constant_queries(api_for, owner, team):
    def count(n: int, prefix: str) -> int:
        ids = [factories.DataProductFactory(owner_team=team, slug=f"{prefix}-{i}").pk for i in range(n)]
        products_evaluate(ids)
        client = api_for(owner)
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/products/?page_size=100").json()
        assert all(row["compliance_score"] is not None for row in body["results"])
        return len(queries)

    assert count(5, "a") == count(50, "b")


def test_dashboard_draws_the_trend_over_runs(client_for, analyst, product):
    from django.utils import timezone

    products_evaluate([product.pk])
    for _ in range(2):
        run = EnforcementRun.objects.create(status="done")
        compliance_snapshot_take(run_id=run.pk, now=timezone.now())
    page = client_for(analyst).get("/governance/compliance/").content.decode()
    assert "<svg" in page and "Average compliance score" in page
    assert "Baseline: Owner" in page


def test_dashboard_charts_every_domain_in_the_same_queries_at_1_and_6_domains(client_for, analyst):
    from django.utils import timezone

    def count(domains: int, prefix: str) -> tuple[int, str]:
        for i in range(domains):
            team = factories.TeamFactory(domain=factories.DomainFactory(slug=f"{prefix}-{i}", name=f"{prefix} {i}"))
            products_evaluate([factories.DataProductFactory(owner_team=team).pk])
        for _ in range(2):
            run = EnforcementRun.objects.create(status="done")
            compliance_snapshot_take(run_id=run.pk, now=timezone.now())
        client = client_for(analyst)
        client.get("/governance/compliance/")
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/governance/compliance/").content.decode()
        return len(queries), page

    few, _ = count(1, "north")
    many, page = count(6, "south")
    assert many == few
    assert all(f"<h3>south {i}</h3>" in page for i in range(6))


def test_violation_list_costs_the_same_queries_at_5_and_50(client_for, owner, team):
    def count(n: int, prefix: str) -> int:
        ids = [factories.DataProductFactory(owner_team=team, slug=f"{prefix}-{i}").pk for i in range(n)]
        products_evaluate(ids)
        client = client_for(owner)
        client.get("/governance/violations/")  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/governance/violations/").status_code == 200
        return len(queries)

    assert count(5, "a") == count(50, "b")


def test_running_run_row_polls_with_htmx_and_stops_when_done(client_for, admin_user):
    run = EnforcementRun.objects.create(status="running", chunks_total=4, chunks_done=1)
    row = client_for(admin_user).get(f"/governance/enforcement/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in row and 'class="w-25"' in row
    EnforcementRun.objects.filter(pk=run.pk).update(status="done", chunks_done=4)
    row = client_for(admin_user).get(f"/governance/enforcement/{run.pk}/progress/").content.decode()
    assert "hx-trigger" not in row


@pytest.mark.parametrize("value", ["3.9702979170462727e+33", "3.5", "0", str(2**63)])
@pytest.mark.parametrize("path", ["/api/v1/violations/", "/api/v1/waivers/"])
def test_a_product_filter_that_is_not_an_id_is_a_400(api_for, owner, path, value):
    response = api_for(owner).get(path, {"product": value})
    assert response.status_code == 400
    assert "product" in response.json()
