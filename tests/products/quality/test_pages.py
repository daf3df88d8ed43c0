"""Quality on the product page and through the API: constant queries with a long history, Run checks now with
htmx progress, push tokens scoped to their product, and who may do what."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from products.quality import services as quality_services
from products.quality.models import CheckResult, CheckRun, QualityScoreSnapshot
from tests import factories
from tests.pages import product_panel_url

pytestmark = pytest.mark.django_db


def _page(product, suffix=""):
    return f"/products/{product.domain.slug}/{product.slug}/{suffix}"


def _history(product, results: int):
    checks = [factories.QualityCheckFactory(product=product, dimension=d) for d in ("coverage", "timeliness")]
    now = timezone.now()
    CheckResult.objects.bulk_create(
        CheckResult(
            quality_check=checks[i % 2],
            product=product,
            state="passed" if i % 3 else "failed",
            measured_at=now - timedelta(minutes=40 * i),
        )
        for i in range(results)
    )
    QualityScoreSnapshot.objects.bulk_create(
        QualityScoreSnapshot(product=product, measured_at=now - timedelta(minutes=40 * i), score=50 + i % 50)
        for i in range(results)
    )
    quality_services.quality_product_evaluate(product.pk, snapshot=True)


def _count_queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_product_page_queries_do_not_grow_with_the_history(client_for, owner, team, django_assert_max_num_queries):
    small = factories.DataProductFactory(owner_team=team, slug="small")
    large = factories.DataProductFactory(owner_team=team, slug="large")
    _history(small, 10)
    _history(large, 1000)
    client = client_for(owner)
    few, _ = _count_queries(client, product_panel_url(small, "quality"), django_assert_max_num_queries)
    many, response = _count_queries(client, product_panel_url(large, "quality"), django_assert_max_num_queries)
    print(f"quality panel queries: 10 results {few}, 1,000 results {many}")
    assert many == few
    html = response.content.decode()
    assert 'id="quality"' in html and "<svg" in html and "data-quality-score" in html
    quality_few, _ = _count_queries(client, _page(small, "quality/"), django_assert_max_num_queries)
    quality_many, _ = _count_queries(client, _page(large, "quality/"), django_assert_max_num_queries)
    print(f"quality page queries: 10 results {quality_few}, 1,000 results {quality_many}")
    assert quality_many == quality_few


def test_quality_page_lists_results_fifty_a_page(client_for, owner, product):
    _history(product, 51)
    client = client_for(owner)
    first = client.get(_page(product, "quality/")).content.decode()
    assert first.count('<tr><td class="small">', first.index("<h2>Results</h2>")) == 50
    assert 'href="?page=2">Older</a>' in first and "Newer</a>" not in first and "No results yet." not in first
    second = client.get(_page(product, "quality/?page=2")).content.decode()
    assert second.count('<tr><td class="small">', second.index("<h2>Results</h2>")) == 1
    assert 'href="?page=1">Newer</a>' in second and "Older</a>" not in second


def test_page_shows_red_and_green_sla_and_open_incidents(client_for, owner, product):
    ok = factories.QualityCheckFactory(product=product, kind="completeness", column="x", name="complete")
    bad = factories.QualityCheckFactory(product=product, kind="freshness", column="t", name="fresh enough")
    factories.CheckResultFactory(quality_check=ok, state="passed")
    factories.CheckResultFactory(quality_check=bad, state="failed", message="Newest row is 90 min old")
    quality_services.quality_product_evaluate(product.pk, snapshot=True)
    html = client_for(owner).get(product_panel_url(product, "quality")).content.decode()
    assert "Quality 50/100" in html
    assert 'data-sla="freshness"' in html and 'data-sla="completeness"' in html
    assert "fresh enough" in html and "Newest row is 90 min old" in html
    assert "Run checks now" in html


def test_run_checks_now_shows_progress_over_htmx(client_for, owner, product, demo_warehouse):
    port = factories.OutputPortFactory(product=product, name="stock", warehouse=demo_warehouse, table="stock_levels")
    factories.QualityCheckFactory(product=product, port=port, params={"min_rows": 1})
    client = client_for(owner)
    response = client.post(_page(product, "quality/runs/"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    run = CheckRun.objects.get()
    assert 'hx-trigger="every 1s"' in response.content.decode()  # queued: it keeps polling
    progress = client.get(_page(product, f"quality/runs/{run.pk}/"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-run-status="queued"' in progress
    quality_services.quality_run_execute(run.pk)
    quality_services.quality_check_record(run.pk, run.check_ids[0])
    progress = client.get(_page(product, f"quality/runs/{run.pk}/"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-run-status="done"' in progress and "every 1s" not in progress


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 302), ("member", 302), ("admin_user", 302), ("analyst", 403), ("other_owner", 403), ("staff", 403)],
)
def test_run_checks_now_per_persona(request, client_for, product, persona, status):
    user = request.getfixturevalue(persona)
    assert client_for(user).post(_page(product, "quality/runs/")).status_code == status
    assert CheckRun.objects.exists() == (status == 302)


def test_run_checks_now_on_an_invisible_draft_is_404(client_for, analyst, draft):
    assert client_for(analyst).post(_page(draft, "quality/runs/")).status_code == 404


def test_check_form_refuses_custom_sql_delete_naming_the_field(client_for, owner, product):
    port = factories.OutputPortFactory(product=product, name="stock")
    response = client_for(owner).post(
        _page(product, "quality/checks/new/"),
        {
            "name": "evil",
            "kind": "custom_sql",
            "port": port.pk,
            "params": '{"sql": "DELETE FROM t", "operator": ">", "threshold": 0}',
            "severity": "warning",
            "dimension": "accuracy",
        },
    )
    assert response.status_code == 200
    assert "single SELECT" in str(response.context["form"].errors["params"])


def test_check_form_refuses_custom_sql_without_a_port_naming_the_field(client_for, owner, product):
    response = client_for(owner).post(
        _page(product, "quality/checks/new/"),
        {
            "name": "portless",
            "kind": "custom_sql",
            "params": '{"sql": "SELECT COUNT(*) FROM {table}", "operator": ">", "threshold": 0}',
            "severity": "warning",
            "dimension": "accuracy",
        },
    )
    assert response.status_code == 200
    assert "choose a port" in str(response.context["form"].errors["port"])
    assert not product.quality_checks.filter(name="portless").exists()


# --- push API -----------------------------------------------------------------------------------------------------


def _push_url(product):
    return reverse("quality-results-list", kwargs={"product_pk": product.pk})


BODY = {
    "results": [{"check": "dbt: not_null_orders_id", "passed": False, "observed_value": 3, "dimension": "completeness"}]
}


def test_a_token_pushes_results_for_its_product_and_scores_it(api_client, owner, product):
    token, secret = quality_services.ingest_token_create(actor=owner, product=product, name="dbt nightly")
    response = api_client.post(_push_url(product), BODY, format="json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 201, response.content
    assert response.json() == {"recorded": 1, "quality_score": "0.00"}
    result = CheckResult.objects.get()
    assert result.source == "push" and result.quality_check.kind == "external" and result.observed_value == 3
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert product.incidents.filter(resolved_at=None).count() == 1


def test_a_token_for_product_a_cannot_push_to_product_b(api_client, owner, product, other_product):
    _token, secret = quality_services.ingest_token_create(actor=owner, product=product, name="dbt")
    response = api_client.post(_push_url(other_product), BODY, format="json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403
    assert not CheckResult.objects.exists()


def test_a_revoked_or_unknown_token_is_refused(api_client, owner, product):
    token, secret = quality_services.ingest_token_create(actor=owner, product=product, name="dbt")
    quality_services.ingest_token_revoke(actor=owner, token=token)
    for value in (secret, "mpq_nonsense"):
        response = api_client.post(_push_url(product), BODY, format="json", HTTP_AUTHORIZATION=f"Bearer {value}")
        assert response.status_code == 401
    assert not CheckResult.objects.exists()


def test_a_push_token_opens_nothing_else_in_the_api(api_client, owner, product):
    _token, secret = quality_services.ingest_token_create(actor=owner, product=product, name="dbt")
    response = api_client.get("/api/v1/products/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 201), ("member", 201), ("admin_user", 201), ("analyst", 403), ("other_owner", 403), ("staff", 403)],
)
def test_push_by_session_per_persona(request, api_for, product, persona, status):
    user = request.getfixturevalue(persona)
    assert api_for(user).post(_push_url(product), BODY, format="json").status_code == status


def test_push_refuses_bad_results_with_a_clear_error(api_for, owner, product):
    body = {"results": [{"check": "x"}]}
    response = api_for(owner).post(_push_url(product), body, format="json")
    assert response.status_code == 400 and "passed" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("owner", 200), ("member", 403), ("analyst", 403), ("admin_user", 200)]
)
def test_only_owners_manage_tokens(request, client_for, product, persona, status):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(_page(product, "quality/tokens/")).status_code == status


def test_api_run_and_progress(api_for, owner, analyst, product):
    factories.QualityCheckFactory(product=product)
    assert api_for(analyst).post("/api/v1/quality-runs/", {"product": product.pk}, format="json").status_code == 403
    response = api_for(owner).post("/api/v1/quality-runs/", {"product": product.pk}, format="json")
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert api_for(analyst).get(f"/api/v1/quality-runs/{run_id}/").json()["total"] == 1


def test_a_second_api_start_returns_the_run_already_going(api_for, owner, product):
    factories.QualityCheckFactory(product=product)
    first = api_for(owner).post("/api/v1/quality-runs/", {"product": product.pk}, format="json")
    again = api_for(owner).post("/api/v1/quality-runs/", {"product": product.pk}, format="json")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
