"""The contract tool: what a port promises its consumers, from the contracts package's selectors.

The answer holds the port's current contract facts (schema, version, classification, service levels, lifecycle
and notice), its schema versions, and ``odcs``: the port's Open Data Contract Standard v3 document, exactly as the
contract page and the API export it."""

from portal.mcp.auth import Caller
from portal.mcp.catalog import product_find, product_ref
from portal.mcp.results import NotFound, number, paginated, when
from products import selectors as catalog
from products.contracts.notice import notice_days
from products.contracts.selectors import contract_document, schema_versions
from products.models import SCHEMA_COLUMN_KEYS


def _version_row(version) -> dict:
    return {
        "version": version.version,
        "status": version.status,
        "level": version.level,
        "summary": version.summary,
        "changes": version.changes,
        "created_at": when(version.created_at),
        "effective_at": when(version.effective_at),
        "author": version.author.username if version.author_id else None,
    }


def get_contract(caller: Caller, *, domain: str, slug: str, port: str = "", page: int = 1, page_size: int = 10) -> dict:
    product = product_find(caller, domain, slug)
    ports = catalog.product_ports(product=product)
    if not ports:
        raise NotFound(f"{product.name} has no output port, so no contract yet.")
    chosen = next((item for item in ports if item.name == port), None) if port else ports[0]
    if chosen is None:
        names = ", ".join(item.name for item in ports)
        raise NotFound(f"{product.name} has no port named “{port}” (its ports: {names}).")
    chosen.product = product
    versions = schema_versions(user=caller.user, port=chosen)
    scheduled = versions.filter(status="scheduled").first()
    return {
        "product": product_ref(product),
        "port": {
            "id": chosen.pk,
            "name": chosen.name,
            "kind": chosen.kind,
            "location": chosen.location,
            # A port superseded by a new major port lives until its sunset, then is retired.
            "sunset_at": when(chosen.sunset_at),
            "successor": next((item.name for item in ports if item.pk == chosen.successor_id), None),
            "retired_at": when(chosen.retired_at),
        },
        "other_ports": [item.name for item in ports if item.pk != chosen.pk],
        "contract": {
            "version": chosen.version,
            "status": product.status,
            "classification": product.classification,
            "schema": [{key: getattr(field, key) for key in SCHEMA_COLUMN_KEYS} for field in chosen.fields.all()],
            "service_levels": {
                "freshness_minutes": product.freshness_minutes,
                "completeness_percent": number(product.completeness_percent),
                "availability_percent": number(product.availability_percent),
            },
            "notice_days": notice_days(),
            "sunset_at": when(product.sunset_at),
        },
        "scheduled_change": _version_row(scheduled) if scheduled else None,
        "versions": paginated(versions, page=page, page_size=page_size, row=_version_row),
        "odcs": contract_document(caller.user, chosen),
    }
