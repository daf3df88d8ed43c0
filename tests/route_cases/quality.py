"""Quality routes. Whoever sees the product sees its quality; the owning team (owner, member) and admins manage
checks and run them; only the team's owners and admins manage push tokens. Drafts stay invisible (404)."""

from products.quality import services as quality_services
from products.quality.models import CheckRun, Incident
from tests import factories
from tests.route_cases.base import Case

TEAM = {"owner": 200, "member": 200, "admin": 200}
TEAM_REDIRECT = {"owner": 302, "member": 302, "admin": 302}
OWNERS = {"owner": 200, "admin": 200}
OWNERS_REDIRECT = {"owner": 302, "admin": 302}


def build(world) -> None:
    product = world.product
    world.quality_check = factories.QualityCheckFactory(product=product, port=world.port, name="rows")
    factories.CheckResultFactory(quality_check=world.quality_check, state="failed")
    world.quality_run = CheckRun.objects.create(product=product, status="done", total=1, completed=1)
    quality_services.quality_product_evaluate(product.pk, snapshot=True)
    world.incident = Incident.objects.get(quality_check=world.quality_check)
    world.ingest_token, _secret = quality_services.ingest_token_create(
        actor=world.users["owner"], product=product, name="dbt"
    )


def _q(w, suffix: str = "", product=None) -> str:
    product = product or w.product
    return f"/products/{product.domain.slug}/{product.slug}/quality/{suffix}"


CUSTOM_SQL = {
    "name": "positive",
    "kind": "custom_sql",
    "params": '{"sql": "SELECT COUNT(*) FROM {table}", "operator": ">", "threshold": 0}',
    "severity": "warning",
    "dimension": "coverage",
    "enabled": "on",
}

CASES = [
    Case("products:quality-detail", lambda w: _q(w), 200),
    Case("products:quality-detail", lambda w: _q(w, product=w.draft), 404, expect=TEAM, note="draft"),
    Case("products:quality-check-create", lambda w: _q(w, "checks/new/"), 403, expect=TEAM),
    Case(
        "products:quality-check-create",
        lambda w: _q(w, "checks/new/"),
        403,
        method="post",
        data=lambda w: {**CUSTOM_SQL, "port": w.port.pk},  # custom SQL reads its port's table: it needs one
        expect=TEAM_REDIRECT,
    ),
    Case(
        "products:quality-check-create",
        lambda w: _q(w, "checks/new/", product=w.draft),
        404,
        expect=TEAM,
        note="draft",
    ),
    Case("products:quality-check-edit", lambda w: _q(w, f"checks/{w.quality_check.pk}/edit/"), 403, expect=TEAM),
    Case(
        "products:quality-check-edit",
        lambda w: _q(w, f"checks/{w.quality_check.pk}/edit/"),
        403,
        method="post",
        data=lambda w: {**CUSTOM_SQL, "name": "rows", "port": w.port.pk},
        expect=TEAM_REDIRECT,
    ),
    Case(
        "products:quality-check-delete",
        lambda w: _q(w, f"checks/{w.quality_check.pk}/delete/"),
        403,
        method="post",
        expect=TEAM_REDIRECT,
    ),
    Case("products:quality-run-create", lambda w: _q(w, "runs/"), 403, method="post", expect=TEAM_REDIRECT),
    Case(
        "products:quality-run-create",
        lambda w: _q(w, "runs/", product=w.draft),
        404,
        method="post",
        expect={"owner": 302, "member": 302, "admin": 302},
        note="draft",
    ),
    Case("products:quality-run-progress", lambda w: _q(w, f"runs/{w.quality_run.pk}/"), 200),
    Case("products:quality-tokens", lambda w: _q(w, "tokens/"), 403, expect=OWNERS),
    Case(
        "products:quality-tokens",
        lambda w: _q(w, "tokens/"),
        403,
        method="post",
        data={"name": "great expectations"},
        expect=OWNERS,
        note="create: the secret is shown once on the page",
    ),
    Case(
        "products:quality-token-revoke",
        lambda w: _q(w, f"tokens/{w.ingest_token.pk}/revoke/"),
        403,
        method="post",
        expect=OWNERS_REDIRECT,
    ),
    # API
    Case("quality-check-list", lambda w: "/api/v1/quality-checks/", 200),
    Case("quality-check-detail", lambda w: f"/api/v1/quality-checks/{w.quality_check.pk}/", 200),
    Case("quality-incident-list", lambda w: "/api/v1/quality-incidents/", 200),
    Case("quality-incident-detail", lambda w: f"/api/v1/quality-incidents/{w.incident.pk}/", 200),
    Case(
        "quality-run-list",
        lambda w: "/api/v1/quality-runs/",
        403,
        method="post",
        data=lambda w: {"product": w.product.pk},
        expect={"owner": 202, "member": 202, "admin": 202},
    ),
    Case(
        "quality-run-list",
        lambda w: "/api/v1/quality-runs/",
        404,
        method="post",
        data=lambda w: {"product": w.draft.pk},
        expect={"owner": 202, "member": 202, "admin": 202},
        note="draft: the id answers like one nobody holds",
    ),
    Case("quality-run-detail", lambda w: f"/api/v1/quality-runs/{w.quality_run.pk}/", 200),
    Case(
        "quality-results-list",
        lambda w: f"/api/v1/products/{w.product.pk}/quality-results/",
        403,
        method="post",
        data={"results": [{"check": "dbt: unique_id", "passed": True}]},
        expect={"owner": 201, "member": 201, "admin": 201},
    ),
    Case(
        "quality-results-list",
        lambda w: f"/api/v1/products/{w.draft.pk}/quality-results/",
        404,
        method="post",
        data={"results": [{"check": "dbt: unique_id", "passed": True}]},
        expect={"owner": 201, "member": 201, "admin": 201},
        note="draft",
    ),
]
