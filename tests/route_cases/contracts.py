"""Contract routes: versions are read by everyone who sees the product, changed by its team; declassifications
are asked by the team (``member`` asked the world's one) and decided by a steward of the domain or an admin, never
by the requester."""

from products.contracts.models import Declassification, SchemaVersion
from products.models import SchemaField
from tests import factories
from tests.route_cases.base import Case

TEAM = {"owner": 200, "member": 200, "admin": 200}
TEAM_REDIRECT = {"owner": 302, "member": 302, "admin": 302}
REVIEWERS = {"steward": 200, "admin": 200}
DRAFT_SUMMARY = "Draft-only version of the churn scores"


def _columns(port) -> list[dict]:
    return [
        {"name": f.name, "data_type": f.data_type, "nullable": f.nullable, "classification": f.classification}
        for f in port.fields.all()
    ]


def build(world) -> None:
    users = world.users
    world.c_version = SchemaVersion.objects.create(
        port=world.port, version="1.0.0", schema=_columns(world.port), level="initial", summary="First version."
    )
    world.c_version_2 = SchemaVersion.objects.create(
        port=world.port, version="1.1.0", schema=[*_columns(world.port), {"name": "segment"}], level="additive"
    )
    world.c_draft_version = SchemaVersion.objects.create(
        port=world.draft_port, version="0.1.0", schema=[], level="initial", summary=DRAFT_SUMMARY
    )
    second = factories.OutputPortFactory(product=world.product, name="customers_v1")
    factories.SchemaFieldFactory(port=second, name="customer_id")
    world.c_scheduled = SchemaVersion.objects.create(
        port=second, version="2.0.0", schema=[], level="breaking", status="scheduled"
    )
    world.c_email = SchemaField.objects.get(port=world.port, name="email")
    world.c_declassification = Declassification.objects.create(
        field=world.c_email, from_classification="pii", to_classification="", requested_by=users["member"]
    )


def _page(attr: str, suffix: str):
    return lambda w: (
        f"/products/{getattr(w, attr).product.domain.slug}/{getattr(w, attr).product.slug}/ports/"
        + (f"{getattr(w, attr).pk}/{suffix}")
    )


def _decl(decision: str):
    return lambda w: f"/products/declassifications/{w.c_declassification.pk}/{decision}/"


def _decl_api(suffix: str = ""):
    return lambda w: f"/api/v1/declassifications/{w.c_declassification.pk}/{suffix}"


CASES = [
    Case("products:port-versions", _page("port", "versions/"), 200),
    Case(
        "products:port-versions",
        lambda w: (
            f"/products/{w.port.product.domain.slug}/{w.port.product.slug}/ports/{w.port.pk}/versions/"
            f"?old={w.c_version.pk}&new={w.c_version_2.pk}"
        ),
        200,
        note="with a diff",
    ),
    Case("products:port-versions", _page("draft_port", "versions/"), 404, expect=TEAM, note="draft"),
    Case("products:port-schedule", _page("port", "schedule/"), 403, expect=TEAM),
    Case("products:port-schedule", _page("draft_port", "schedule/"), 404, expect=TEAM, note="draft"),
    Case(
        "products:port-schedule",
        _page("port", "schedule/"),
        403,
        method="post",
        data={
            "version": "2.0.0",
            "fields-TOTAL_FORMS": "1",
            "fields-INITIAL_FORMS": "0",
            "fields-0-name": "customer_id",
            "fields-0-data_type": "string",
        },
        expect=TEAM_REDIRECT,
        note="email removed: waits for the notice period",
    ),
    Case("products:port-successor", _page("port", "successor/"), 403, expect=TEAM),
    Case("products:port-successor", _page("draft_port", "successor/"), 404, expect=TEAM, note="draft"),
    Case(
        "products:port-successor",
        _page("port", "successor/"),
        403,
        method="post",
        data={
            "name": "customers_v2",
            "version": "2.0.0",
            "fields-TOTAL_FORMS": "1",
            "fields-INITIAL_FORMS": "0",
            "fields-0-name": "customer_id",
            "fields-0-data_type": "string",
        },
        expect=TEAM_REDIRECT,
        note="published at once as a new port",
    ),
    Case(
        "products:port-successor",
        _page("draft_port", "successor/"),
        404,
        method="post",
        data={"name": "scores_v2"},
        expect={"owner": 200, "member": 200, "admin": 200},
        note="draft: the team hears a draft's port changes in place",
    ),
    Case(
        "products:schema-change-cancel",
        lambda w: f"/products/schema-versions/{w.c_scheduled.pk}/cancel/",
        403,
        method="post",
        expect=TEAM_REDIRECT,
    ),
    Case(
        "products:schema-change-cancel",
        lambda w: f"/products/schema-versions/{w.c_draft_version.pk}/cancel/",
        404,
        method="post",
        expect=TEAM_REDIRECT,
        note="draft: the team hears it is not waiting",
    ),
    Case("products:declassification-list", lambda w: "/products/declassifications/", 200),
    Case(
        "products:declassification-list",
        lambda w: "/products/declassifications/?status=bogus",
        404,
        note="unknown status",
    ),
    Case(
        "products:declassification-decide",
        _decl("approve"),
        403,
        method="post",
        expect={"steward": 302, "admin": 302},
    ),
    Case(
        "products:declassification-decide",
        _decl("reject"),
        403,
        method="post",
        expect={"steward": 302, "admin": 302},
    ),
    Case(
        "products:declassification-decide",
        _decl("withdraw"),
        403,
        method="post",
        expect=TEAM_REDIRECT,
    ),
    Case("products:declassification-decide", _decl("shred"), 404, method="post", note="unknown decision"),
    Case(
        "products:declassification-request",
        _page("port", "declassify/"),
        403,
        method="post",
        data=lambda w: {"field": w.c_email.pk, "to_classification": "", "reason": "Hashed upstream now."},
        expect=TEAM_REDIRECT,
    ),
    # API
    Case(
        "schema-version-list",
        lambda w: "/api/v1/schema-versions/",
        200,
        secret=lambda w: DRAFT_SUMMARY,
        secret_readers=("owner", "member", "admin"),
    ),
    Case("schema-version-detail", lambda w: f"/api/v1/schema-versions/{w.c_version.pk}/", 200),
    Case(
        "schema-version-detail",
        lambda w: f"/api/v1/schema-versions/{w.c_draft_version.pk}/",
        404,
        expect=TEAM,
        note="draft",
    ),
    Case(
        "schema-version-diff",
        lambda w: f"/api/v1/schema-versions/diff/?old={w.c_version.pk}&new={w.c_version_2.pk}",
        200,
    ),
    Case(
        "schema-version-diff",
        lambda w: f"/api/v1/schema-versions/diff/?old={w.c_version.pk}&new={w.c_draft_version.pk}",
        404,
        expect=TEAM,
        note="a draft's version answers like a missing one",
    ),
    Case(
        "schema-version-list",
        lambda w: "/api/v1/schema-versions/",
        403,
        method="post",
        data=lambda w: {
            "port": w.port.pk,
            "version": "2.0.0",
            "fields": [{"name": "customer_id", "data_type": "string"}],
        },
        expect={"owner": 201, "member": 201, "admin": 201},
        note="schedule",
    ),
    Case(
        "schema-version-cancel",
        lambda w: f"/api/v1/schema-versions/{w.c_scheduled.pk}/cancel/",
        403,
        method="post",
        expect=TEAM,
    ),
    Case(
        "port-successor-list",
        lambda w: "/api/v1/port-successors/",
        403,
        method="post",
        data=lambda w: {
            "port": w.port.pk,
            "name": "customers_v2",
            "fields": [{"name": "customer_id", "data_type": "string"}],
        },
        expect={"owner": 201, "member": 201, "admin": 201},
        note="publish as a new port",
    ),
    Case(
        "port-successor-list",
        lambda w: "/api/v1/port-successors/",
        404,
        method="post",
        data=lambda w: {"port": w.draft_port.pk, "name": "scores_v2", "fields": [{"name": "id"}]},
        expect={"owner": 400, "member": 400, "admin": 400},
        note="a draft's port answers like a missing one to outsiders and is refused to the team",
    ),
    Case("declassification-list", lambda w: "/api/v1/declassifications/", 200),
    Case("declassification-detail", _decl_api(), 200),
    Case(
        "declassification-list",
        lambda w: "/api/v1/declassifications/",
        403,
        method="post",
        data=lambda w: {"field": w.c_email.pk, "to_classification": "", "reason": "Hashed upstream now."},
        expect={"owner": 201, "member": 201, "admin": 201},
    ),
    Case("declassification-approve", _decl_api("approve/"), 403, method="post", data={}, expect=REVIEWERS),
    Case("declassification-reject", _decl_api("reject/"), 403, method="post", data={}, expect=REVIEWERS),
    Case("declassification-withdraw", _decl_api("withdraw/"), 403, method="post", expect=TEAM),
]
