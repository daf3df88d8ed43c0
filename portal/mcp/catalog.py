"""Catalog tools: find products, read one, its schema and its lineage. Each is a thin wrapper over the catalog's
selectors (and the glossary's, quality's and enforcement's panels), which decide what the caller may see."""

from glossary.selectors import product_terms, term_product_ids
from governance.enforcement.selectors import product_compliance
from portal.mcp.auth import Caller
from portal.mcp.results import NotFound, number, page_url, paginated, product_uri, term_uri, term_urn, when
from products import selectors
from products.access.masking import mask_plan
from products.models import DataProduct
from products.quality.selectors import product_quality_section

CONSUMERS_SHOWN = 50
LINEAGE_MAX_DEPTH = 5


def product_find(caller: Caller, domain: str, slug: str) -> DataProduct:
    """The product at ``domain/slug`` if the caller may see it; a hidden one answers like a missing one."""
    try:
        return selectors.product_get(user=caller.user, domain_slug=domain, slug=slug)
    except DataProduct.DoesNotExist:
        raise NotFound(f"No data product at {domain}/{slug}. Use search_products to find one.") from None


def product_ref(product: DataProduct) -> dict:
    return {
        "urn": product.urn,
        "name": product.name,
        "domain": product.domain.slug,
        "slug": product.slug,
        "status": product.status,
        "url": page_url(product.get_absolute_url()),
        "uri": product_uri(product.domain.slug, product.slug),
    }


def _compliance_score(product: DataProduct):
    try:
        return number(product.compliance.score)
    except DataProduct.compliance.RelatedObjectDoesNotExist:
        return None


def _search_row(product: DataProduct) -> dict:
    return {
        **product_ref(product),
        "summary": product.summary,
        "owner_team": product.owner_team.name,
        "tags": [tag.name for tag in product.tags.all()],
        "classification": product.classification,
        "quality_score": number(product.quality_score),
        "compliance_score": _compliance_score(product),
    }


def search_products(
    caller: Caller,
    *,
    query: str = "",
    domain: str = "",
    tag: str = "",
    term: str = "",
    status: str = "",
    page: int = 1,
    page_size: int = 10,
) -> dict:
    filters = {
        name: value for name, value in {"q": query, "domain": domain, "tag": tag, "status": status}.items() if value
    }
    products = (
        selectors.product_list(user=caller.user, filters=filters).select_related("compliance").defer("documentation")
    )
    if term:
        products = products.filter(pk__in=term_product_ids(user=caller.user, text=term))
    result = paginated(products, page=page, page_size=page_size, row=_search_row)
    result["filters"] = {"query": query, "domain": domain, "tag": tag, "term": term, "status": status}
    return result


def _check_name(incident) -> str:
    return incident.quality_check.name if incident.quality_check_id else ""


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name() or user.username}


def get_product(caller: Caller, *, domain: str, slug: str) -> dict:
    product = product_find(caller, domain, slug)
    ports = selectors.product_ports(product=product)
    consumers = selectors.product_consumers(product=product, limit=CONSUMERS_SHOWN + 1)
    quality = product_quality_section(user=caller.user, product=product)["quality"]
    compliance = product_compliance(user=caller.user, product=product)
    row = compliance["row"]
    return {
        **product_ref(product),
        "summary": product.summary,
        "documentation": product.documentation,
        "classification": product.classification,
        "tags": [tag.name for tag in product.tags.all()],
        "owner": {
            "team": product.owner_team.name,
            "team_slug": product.owner_team.slug,
            "accountable": _person(product.accountable),
        },
        "lifecycle": {
            "status": product.status,
            "published_at": when(product.published_at),
            "sunset_at": when(product.sunset_at),
            "updated_at": when(product.updated_at),
        },
        "sla": {
            "declared": {
                "freshness_minutes": product.freshness_minutes,
                "completeness_percent": number(product.completeness_percent),
                "availability_percent": number(product.availability_percent),
            },
            "measured": quality["sla"] if quality else [],
        },
        "quality": {
            "score": number(product.quality_score),
            "dimensions": {name: number(value) for name, value in quality["dimensions"]} if quality else {},
            "measured_at": when(quality["measured_at"]) if quality else None,
            "open_incidents": [
                {"check": _check_name(incident), "opened_at": when(incident.opened_at)}
                for incident in (quality["incidents"] if quality else [])
            ],
        },
        "compliance": {
            "score": number(row.score) if row else None,
            "evaluated_at": when(row.evaluated_at) if row else None,
            "rules_checked": row.rules_checked if row else 0,
            "rules_failed": row.rules_failed if row else 0,
            "blockers_failed": row.blockers_failed if row else 0,
            "explain_with": "explain_compliance",
        },
        "ports": [
            {
                "id": port.pk,
                "name": port.name,
                "kind": port.kind,
                "version": port.version,
                "location": port.location,
                "description": port.description,
                "columns": len(port.fields.all()),
            }
            for port in ports
        ],
        "consumers": {
            "items": [
                {"kind": "team" if item.team_id else "person", "name": item.consumer_label, "purpose": item.purpose}
                for item in consumers[:CONSUMERS_SHOWN]
            ],
            "more": len(consumers) > CONSUMERS_SHOWN,
        },
    }


def _term(link) -> dict | None:
    if link is None:
        return None
    term = link.term
    return {"urn": term_urn(term.pk), "name": term.name, "uri": term_uri(term.pk)}


def get_schema(caller: Caller, *, domain: str, slug: str, port: str = "") -> dict:
    product = product_find(caller, domain, slug)
    glossary = product_terms(user=caller.user, product=product)
    ports = [(item, rows) for item, rows in glossary.ports if not port or item.name == port]
    if port and not ports:
        names = ", ".join(item.name for item, _rows in glossary.ports) or "none"
        raise NotFound(f"{product.name} has no port named “{port}” (its ports: {names}).")
    answer = []
    for item, rows in ports:
        item.product = product  # mask_plan reads the owning team from the port's product
        plan = mask_plan(user=caller.user, port=item)
        answer.append(
            {
                "id": item.pk,
                "name": item.name,
                "kind": item.kind,
                "version": item.version,
                "location": item.location,
                "columns": [
                    {
                        "name": row.field.name,
                        "type": row.field.data_type,
                        "nullable": row.field.nullable,
                        "primary_key": row.field.primary_key,
                        "classification": row.field.classification or None,
                        "masked_for_you": plan.is_masked(row.field.name),
                        "description": row.field.description,
                        "term": _term(row.link),
                    }
                    for row in rows
                ],
            }
        )
    return {
        "product": product_ref(product),
        "ports": answer,
        "product_terms": [_term(link) for link in glossary.product_links],
    }


def get_lineage(caller: Caller, *, domain: str, slug: str, depth: int = 2, direction: str = "both") -> dict:
    product = product_find(caller, domain, slug)
    depth = max(1, min(int(depth), LINEAGE_MAX_DEPTH))
    graph = selectors.lineage_graph(user=caller.user, product=product, depth=depth)
    names = {node.key: (node.urn or f"source:{node.label}") for node in graph.nodes}

    def node_row(node) -> dict:
        if node.external:
            return {"external_source": node.label, "hops": abs(node.level)}
        domain_slug, node_slug = node.url.strip("/").split("/")[-2:]
        return {
            "urn": node.urn,
            "name": node.label,
            "status": node.status,
            "hops": abs(node.level),
            "url": page_url(node.url),
            "uri": product_uri(domain_slug, node_slug),
        }

    wanted = {
        node.key
        for node in graph.nodes
        if node.level == 0
        or (node.level < 0 and direction in ("both", "upstream"))
        or (node.level > 0 and direction in ("both", "downstream"))
    }
    return {
        "product": product_ref(product),
        "depth": depth,
        "direction": direction,
        "upstream": [node_row(node) for node in graph.nodes if node.level < 0 and node.key in wanted],
        "downstream": [node_row(node) for node in graph.nodes if node.level > 0 and node.key in wanted],
        "edges": [
            {"from": names[source], "to": names[target]}
            for source, target in graph.edges
            if source in wanted and target in wanted
        ],
        "hidden_products": graph.hidden,
    }
