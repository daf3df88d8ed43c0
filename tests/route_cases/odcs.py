"""ODCS contracts, drift and SLA routes. Whoever sees the product reads its contracts, SLAs and drift progress;
its team (owner, member) and admins apply contracts and check the tables; drift findings name the real table's
columns, so only the team sees them. A draft's contracts answer 404 to everyone else, like a missing product."""

from products.contracts.models import DriftFinding, DriftRun
from tests.route_cases.base import Case

TEAM = {"owner": 200, "member": 200, "admin": 200}
TEAM_REDIRECT = {"owner": 302, "member": 302, "admin": 302}
DRAFT_NAME = "Churn Scores"


def build(world) -> None:
    world.o_run = DriftRun.objects.create(product=world.product, status="done", total=1, completed=1)
    world.o_finding = DriftFinding.objects.create(
        port=world.port, kind="extra", column="legacy_flag", summary="legacy_flag is in the table but not declared."
    )
    world.draft.name = DRAFT_NAME
    world.draft.save(update_fields=["name"])


def _p(w, suffix: str, product=None) -> str:
    product = product or w.product
    return f"/products/{product.domain.slug}/{product.slug}/{suffix}"


def _contract(w) -> dict:
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": "route-case-contract",
        "version": "1.0.0",
        "domain": w.product.domain.slug,
        "dataProduct": w.product.slug,
        "schema": [{"name": "customers_odcs", "properties": [{"name": "customer_id", "logicalType": "integer"}]}],
    }


def _yaml_text(w) -> str:
    import yaml

    return yaml.safe_dump(_contract(w))


CASES = [
    Case("products:product-contract", lambda w: _p(w, "contract/"), 200),
    Case(
        "products:product-contract",
        lambda w: _p(w, "contract/", w.draft),
        404,
        expect=TEAM,
        note="draft",
        secret=lambda w: DRAFT_NAME,
        secret_readers=("owner", "member", "admin"),
    ),
    Case("products:product-contract-file", lambda w: _p(w, "contract.yaml"), 200),
    Case("products:product-contract-file", lambda w: _p(w, "contract.json"), 200, note="json"),
    Case("products:product-contract-file", lambda w: _p(w, "contract.xml"), 404, note="unknown format"),
    Case(
        "products:product-contract-file",
        lambda w: _p(w, "contract.yaml", w.draft),
        404,
        expect=TEAM,
        note="draft",
        secret=lambda w: "churn-scores",
        secret_readers=("owner", "member", "admin"),
    ),
    Case("products:port-contract", lambda w: _p(w, f"ports/{w.port.pk}/contract.yaml"), 200),
    Case("products:port-contract", lambda w: _p(w, f"ports/{w.port.pk}/contract.json"), 200, note="json"),
    Case(
        "products:port-contract",
        lambda w: _p(w, f"ports/{w.draft_port.pk}/contract.json", w.draft),
        404,
        expect=TEAM,
        note="draft",
    ),
    Case("products:contract-import", lambda w: _p(w, "contract/apply/"), 403, expect=TEAM),
    Case("products:contract-import", lambda w: _p(w, "contract/apply/", w.draft), 404, expect=TEAM, note="draft"),
    Case(
        "products:contract-import",
        lambda w: _p(w, "contract/apply/"),
        403,
        method="post",
        data=lambda w: {"text": _yaml_text(w), "preview": "1"},
        expect=TEAM,
        note="dry run",
    ),
    Case(
        "products:contract-import",
        lambda w: _p(w, "contract/apply/"),
        403,
        method="post",
        data=lambda w: {"text": _yaml_text(w), "apply": "1"},
        expect=TEAM_REDIRECT,
        note="apply",
    ),
    Case("products:drift-check", lambda w: _p(w, "drift/"), 403, method="post", expect=TEAM_REDIRECT),
    Case(
        "products:drift-check",
        lambda w: _p(w, "drift/", w.draft),
        404,
        method="post",
        expect=TEAM_REDIRECT,
        note="draft",
    ),
    Case("products:drift-progress", lambda w: _p(w, f"drift/{w.o_run.pk}/"), 200),
    Case(
        "products:drift-progress",
        lambda w: _p(w, f"drift/{w.o_run.pk}/", w.draft),
        404,
        note="another product's run, under a draft",
    ),
    # API
    Case(
        "contract-list",
        lambda w: "/api/v1/contracts/",
        200,
        secret=lambda w: "churn-scores",
        secret_readers=("owner", "member", "admin"),
    ),
    Case("contract-detail", lambda w: f"/api/v1/contracts/{w.port.pk}/", 200),
    Case("contract-detail", lambda w: f"/api/v1/contracts/{w.draft_port.pk}/", 404, expect=TEAM, note="draft"),
    Case(
        "contract-apply",
        lambda w: "/api/v1/contracts/apply/?dry_run=true",
        403,
        method="post",
        data=_contract,
        expect=TEAM,
        note="dry run",
    ),
    Case("contract-apply", lambda w: "/api/v1/contracts/apply/", 403, method="post", data=_contract, expect=TEAM),
    Case(
        "contract-apply",
        lambda w: "/api/v1/contracts/apply/",
        404,
        method="post",
        data=lambda w: {**_contract(w), "dataProduct": w.draft.slug},
        expect={"owner": 200, "member": 200, "admin": 200},
        note="a draft is unknown to outsiders",
    ),
    Case(
        "drift-finding-list",
        lambda w: "/api/v1/drift-findings/",
        200,
        secret=lambda w: "legacy_flag",
        secret_readers=("owner", "member", "admin"),
    ),
    Case("drift-finding-detail", lambda w: f"/api/v1/drift-findings/{w.o_finding.pk}/", 404, expect=TEAM),
    Case(
        "drift-run-list",
        lambda w: "/api/v1/drift-runs/",
        404,
        method="post",
        data=lambda w: {"product": w.product.pk},
        expect={"owner": 202, "member": 202, "admin": 202},
        note="another team's product answers like a missing one",
    ),
    Case("drift-run-detail", lambda w: f"/api/v1/drift-runs/{w.o_run.pk}/", 200),
    Case("product-sla-list", lambda w: f"/api/v1/products/{w.product.pk}/sla/", 200),
    Case("product-sla-list", lambda w: f"/api/v1/products/{w.draft.pk}/sla/", 404, expect=TEAM, note="draft"),
]
