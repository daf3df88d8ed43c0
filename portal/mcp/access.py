"""Access tools: what the caller may read, asking for more, and a masked look at a port's rows. The access
package's selectors and services decide everything: who may ask, who may read rows, and which columns are masked
(``products.access.masking``, the same plan as the preview page, the preview API and CSV exports)."""

from django.urls import reverse

from portal.mcp.auth import Caller
from portal.mcp.calls import CallRefused
from portal.mcp.catalog import product_find, product_ref
from portal.mcp.results import NotFound, page_url, when
from products import selectors as catalog
from products.access import selectors, services
from products.access.models import AccessRequest
from products.warehouse import WarehouseError

PREVIEW_MAX_ROWS = 50


def _port_named(caller: Caller, domain: str, slug: str, port: str):
    product = product_find(caller, domain, slug)
    ports = catalog.product_ports(product=product)
    for item in ports:
        if item.name == port:
            item.product = product
            return product, item
    names = ", ".join(item.name for item in ports) or "none"
    raise NotFound(f"{product.name} has no port named “{port}” (its ports: {names}).")


def _port_label(port) -> dict:
    product = port.product
    return {"product": product.urn, "product_name": product.name, "port": port.name, "port_id": port.pk}


def _request_row(item: AccessRequest) -> dict:
    return {
        "id": item.pk,
        **_port_label(item.port),
        "requester": item.requester.username,
        "purpose": item.purpose,
        "duration_days": item.duration_days,
        "wants_unmasked_pii": item.wants_unmasked_pii,
        "status": item.status,
        "approvals_required": item.approvals_required,
        "created_at": when(item.created_at),
        "decided_at": when(item.decided_at),
        "url": page_url(item.get_absolute_url()),
    }


def my_access(caller: Caller) -> dict:
    access = selectors.my_access(user=caller.user)
    return {
        "grants": [
            {
                "id": grant.pk,
                **_port_label(grant.port),
                "status": grant.status,
                "expires_at": when(grant.expires_at),
                "unmasked_pii": grant.unmasked_pii,
                "renewable": grant.renewable,
            }
            for grant in access["grants"]
        ],
        "requests": [_request_row(item) for item in access["requests"]],
        "clearances": [
            {"kind": clearance.kind, "expires_at": when(clearance.expires_at), "valid": clearance.is_valid()}
            for clearance in access["clearances"]
        ],
        "awaiting_your_decision": [_request_row(item) for item in access["to_decide"]],
        "url": page_url(reverse("products:my-access")),
    }


def request_access(
    caller: Caller,
    *,
    domain: str,
    slug: str,
    port: str,
    purpose: str,
    duration_days: int = 90,
    wants_unmasked_pii: bool = False,
) -> dict:
    _product, target = _port_named(caller, domain, slug, port)
    created = services.access_request_create(
        actor=caller.user,
        port=target,
        purpose=purpose,
        duration_days=duration_days,
        wants_unmasked_pii=wants_unmasked_pii,
    )
    return {
        "request": _request_row(created),
        "next": "An owner or access approver of the product's team decides; my_access shows the outcome.",
    }


def preview_data(
    caller: Caller,
    *,
    domain: str,
    slug: str,
    port: str,
    limit: int = 10,
    ordering: str = "",
    where: str = "",
    value: str = "",
) -> dict:
    product, target = _port_named(caller, domain, slug, port)
    target = selectors.port_for_data(user=caller.user, pk=target.pk)
    try:
        data = selectors.port_data_read(
            user=caller.user,
            port=target,
            ordering=ordering[:64],
            where=where[:64],
            value=value[:500],
            limit=max(1, min(int(limit), PREVIEW_MAX_ROWS)),
        )
    except WarehouseError as error:
        raise CallRefused(f"The warehouse could not answer: {error}", reason="unavailable") from None
    return {
        "product": product_ref(product),
        "port": target.name,
        "columns": data.columns,
        "masked": sorted(data.masked),
        "rows": [list(row) for row in data.rows],
        "note": "Masked columns hold a keyed hash: equal values give equal tokens, so they still join and count."
        if data.masked
        else "",
    }
