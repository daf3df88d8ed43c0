"""Access-to-data routes. ``analyst`` has a pending request on the world's port, ``steward`` holds a grant on it
(approved by the owner), and the port reads from a demo SQLite warehouse. Owners and admins decide; the owning
team reads data; outsiders get 404 for requests and grants they may not see and 403 for data without a grant. A
retired product's port serves nobody: 410 Gone for its previews and exports, 400 for a new request."""

import tempfile
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from products.access import services as access_services
from products.demo_warehouse import build as build_warehouse
from tests import factories
from tests.route_cases.base import Case

DECIDERS_REDIRECT = {"owner": 302, "admin": 302}
DECIDERS_OK = {"owner": 200, "admin": 200}
DATA_READERS = {"owner": 200, "member": 200, "steward": 200}


def build(world) -> None:
    path = build_warehouse(Path(tempfile.mkdtemp(prefix="mesh-routes-")) / "warehouse.sqlite3")
    warehouse = factories.WarehouseFactory(name="routes", engine="sqlite", path=str(path))
    world.port.warehouse, world.port.table = warehouse, "customer_360"
    world.port.save()
    users = world.users
    world.access_request = access_services.access_request_create(
        actor=users["analyst"], port=world.port, purpose="Churn report", duration_days=30
    )
    granted = access_services.access_request_create(
        actor=users["steward"], port=world.port, purpose="Glossary examples", duration_days=30
    )
    access_services.access_request_approve(actor=users["owner"], access_request=granted)
    world.grant = granted.grant
    world.clearance = factories.ClearanceFactory(user=users["analyst"])
    retired = factories.DataProductFactory(owner_team=world.team, slug="old-extract", status="retired")
    world.retired_port = factories.OutputPortFactory(
        product=retired, name="extract", warehouse=warehouse, table="customer_360"
    )


def _port_page(w, suffix: str, port=None, product=None) -> str:
    port = port or w.port
    product = product or port.product
    return f"/products/{product.domain.slug}/{product.slug}/ports/{port.pk}/{suffix}"


CASES = [
    Case("products:my-access", lambda w: "/products/my-access/", 200),
    Case(
        "products:access-request-create",
        lambda w: _port_page(w, "request-access/"),
        200,
    ),
    Case(
        "products:access-request-create",
        lambda w: _port_page(w, "request-access/", port=w.draft_port),
        404,
        expect={"owner": 403, "member": 403, "admin": 403},
        note="draft",
    ),
    Case(
        "products:access-request-create",
        lambda w: _port_page(w, "request-access/"),
        302,
        method="post",
        data={"purpose": "Weekly report", "duration_days": 30},
        expect={"analyst": 200, "steward": 200},
        note="already pending / already granted: form error",
    ),
    Case(
        "products:access-request-detail",
        lambda w: f"/products/access/requests/{w.access_request.pk}/",
        404,
        expect={"analyst": 200, **DECIDERS_OK},
    ),
    Case(
        "products:access-request-approve",
        lambda w: f"/products/access/requests/{w.access_request.pk}/approve/",
        404,
        method="post",
        data={"note": "ok"},
        expect={"analyst": 403, **DECIDERS_REDIRECT},
    ),
    Case(
        "products:access-request-reject",
        lambda w: f"/products/access/requests/{w.access_request.pk}/reject/",
        404,
        method="post",
        data={"note": "Not for this purpose"},
        expect={"analyst": 403, **DECIDERS_REDIRECT},
    ),
    Case(
        "products:access-request-withdraw",
        lambda w: f"/products/access/requests/{w.access_request.pk}/withdraw/",
        404,
        method="post",
        expect={"analyst": 302, "owner": 403, "admin": 403},
    ),
    Case(
        "products:grant-revoke",
        lambda w: f"/products/access/grants/{w.grant.pk}/revoke/",
        404,
        method="post",
        data={"reason": "Done"},
        expect={"steward": 403, **DECIDERS_REDIRECT},
    ),
    Case(
        "products:grant-renew",
        lambda w: f"/products/access/grants/{w.grant.pk}/renew/",
        404,
        expect={"steward": 200, "owner": 403, "admin": 403},
    ),
    Case(
        "products:grant-upgrade",
        lambda w: f"/products/access/grants/{w.grant.pk}/upgrade/",
        404,
        expect={"steward": 200, "owner": 403, "admin": 403},
    ),
    Case(
        "products:grant-upgrade",
        lambda w: f"/products/access/grants/{w.grant.pk}/upgrade/",
        404,
        method="post",
        data={"purpose": "Glossary examples with real names"},
        expect={"steward": 400, "owner": 403, "admin": 403},
        note="no clearance: form error",
    ),
    Case("products:port-preview", lambda w: _port_page(w, "preview/"), 403, expect=DATA_READERS),
    Case(
        "products:port-preview",
        lambda w: _port_page(w, "preview/") + "?ordering=email",
        403,
        expect={"owner": 400, "member": 400, "steward": 400},
        note="sorting on a masked column",
    ),
    Case("products:port-export", lambda w: _port_page(w, "export.csv"), 403, expect=DATA_READERS),
    Case(
        "products:port-preview",
        lambda w: _port_page(w, "preview/", port=w.retired_port),
        410,
        note="retired",
    ),
    Case(
        "products:port-export",
        lambda w: _port_page(w, "export.csv", port=w.retired_port),
        410,
        note="retired",
    ),
    Case(
        "products:access-request-create",
        lambda w: _port_page(w, "request-access/", port=w.retired_port),
        410,
        note="retired",
    ),
    Case(
        "products:access-request-create",
        lambda w: _port_page(w, "request-access/", port=w.retired_port),
        400,
        method="post",
        data={"purpose": "Weekly report", "duration_days": 30},
        note="retired: form error",
    ),
    # API
    Case("port-data-preview", lambda w: f"/api/v1/ports/{w.port.pk}/preview/", 403, expect=DATA_READERS),
    Case("port-data-preview", lambda w: f"/api/v1/ports/{w.retired_port.pk}/preview/", 410, note="retired"),
    Case("access-request-list", lambda w: "/api/v1/access-requests/", 200),
    Case(
        "access-request-list",
        lambda w: "/api/v1/access-requests/",
        201,
        method="post",
        data=lambda w: {"port": w.port.pk, "purpose": "Report", "duration_days": 30, "status": "approved"},
        expect={"analyst": 400, "steward": 400},
    ),
    Case(
        "access-request-detail",
        lambda w: f"/api/v1/access-requests/{w.access_request.pk}/",
        404,
        expect={"analyst": 200, **DECIDERS_OK},
    ),
    Case(
        "access-request-approve",
        lambda w: f"/api/v1/access-requests/{w.access_request.pk}/approve/",
        404,
        method="post",
        data={"note": "ok"},
        expect={"analyst": 403, **DECIDERS_OK},
    ),
    Case(
        "access-request-reject",
        lambda w: f"/api/v1/access-requests/{w.access_request.pk}/reject/",
        404,
        method="post",
        data={"note": "no"},
        expect={"analyst": 403, **DECIDERS_OK},
    ),
    Case(
        "access-request-withdraw",
        lambda w: f"/api/v1/access-requests/{w.access_request.pk}/withdraw/",
        404,
        method="post",
        data={},
        expect={"analyst": 200, "owner": 403, "admin": 403},
    ),
    Case("access-grant-list", lambda w: "/api/v1/access-grants/", 200),
    Case(
        "access-grant-detail",
        lambda w: f"/api/v1/access-grants/{w.grant.pk}/",
        404,
        expect={"steward": 200, **DECIDERS_OK},
    ),
    Case(
        "access-grant-revoke",
        lambda w: f"/api/v1/access-grants/{w.grant.pk}/revoke/",
        404,
        method="post",
        data={"reason": "Done"},
        expect={"steward": 403, **DECIDERS_OK},
    ),
    Case(
        "access-grant-upgrade",
        lambda w: f"/api/v1/access-grants/{w.grant.pk}/upgrade/",
        404,
        method="post",
        data={"purpose": "Glossary examples with real names"},
        expect={"steward": 400, "owner": 403, "admin": 403},
        note="no clearance: 400",
    ),
    Case("clearance-list", lambda w: "/api/v1/clearances/", 200),
    Case(
        "clearance-detail",
        lambda w: f"/api/v1/clearances/{w.clearance.pk}/",
        404,
        expect={"analyst": 200, "admin": 200},
    ),
    Case(
        "clearance-list",
        lambda w: "/api/v1/clearances/",
        403,
        method="post",
        data=lambda w: {"user": "steward", "kind": "gdpr", "expires_at": "2099-01-01T00:00:00Z"},
        expect={"admin": 400},
        note="more than three years ahead: 400 naming expires_at",
    ),
    Case(
        "clearance-list",
        lambda w: "/api/v1/clearances/",
        403,
        method="post",
        data=lambda w: {"user": "steward", "kind": "gdpr", "expires_at": _in_a_year()},
        expect={"admin": 201},
    ),
    Case(
        "clearance-detail",
        lambda w: f"/api/v1/clearances/{w.clearance.pk}/",
        404,
        method="delete",
        expect={"analyst": 403, "admin": 204},
    ),
    # The data-protection group's register (its members are tested in tests/products/access/test_clearances.py).
    Case("products:clearance-list", lambda w: "/products/access/clearances/", 403, expect={"admin": 200}),
    Case(
        "products:clearance-list",
        lambda w: "/products/access/clearances/",
        403,
        method="post",
        data=lambda w: {"user": "steward", "kind": "gdpr", "expires_at": _in_a_year()[:10]},
        expect={"admin": 302},
    ),
    Case(
        "products:clearance-list",
        lambda w: "/products/access/clearances/",
        403,
        method="post",
        data={"user": "nobody", "kind": "gdpr", "expires_at": "2030-01-01"},
        expect={"admin": 400},
        note="unknown user: form error",
    ),
    Case(
        "products:clearance-revoke",
        lambda w: f"/products/access/clearances/{w.clearance.pk}/revoke/",
        403,
        method="post",
        expect={"admin": 302},
    ),
]


def _in_a_year() -> str:
    return (timezone.now() + timedelta(days=365)).isoformat()
