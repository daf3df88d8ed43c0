"""The glossary tool: a term's definition, its relations and where it is used, as the caller may see them (the
glossary's selectors filter drafts and hidden products out)."""

from glossary.models import Term
from glossary.selectors import term_get, term_relations, term_search, term_usage
from portal.mcp.auth import Caller
from portal.mcp.results import NotFound, page_url, product_uri, term_uri, term_urn, when

USAGE_SHOWN = 50


def term_ref(term: Term) -> dict:
    return {
        "urn": term_urn(term.pk),
        "name": term.name,
        "status": term.status,
        "scope": term.scope_label,
        "url": page_url(term.get_absolute_url()),
        "uri": term_uri(term.pk),
    }


def term_detail(caller: Caller, term: Term) -> dict:
    usage = term_usage(user=caller.user, term=term, limit=USAGE_SHOWN)
    return {
        **term_ref(term),
        "definition": term.definition,
        "examples": term.examples,
        "aliases": [{"name": alias.name, "kind": alias.kind} for alias in term.aliases.all()],
        "replaced_by": term_ref(term.replaced_by) if term.replaced_by_id else None,
        "approved_at": when(term.approved_at),
        "relations": [
            {"relation": row.label, "term": term_ref(row.other), "explanation": row.relation.explanation}
            for row in term_relations(user=caller.user, term=term)
        ],
        "used_by_columns": [
            {
                "product": link.field.port.product.urn,
                "product_uri": product_uri(link.field.port.product.domain.slug, link.field.port.product.slug),
                "port": link.field.port.name,
                "column": link.field.name,
            }
            for link in usage.field_links
        ],
        "used_by_products": [
            {"product": link.product.urn, "product_uri": product_uri(link.product.domain.slug, link.product.slug)}
            for link in usage.product_links
        ],
    }


def term_by_id(caller: Caller, pk: int) -> Term:
    try:
        return term_get(user=caller.user, pk=pk)
    except Term.DoesNotExist:
        raise NotFound(f"No glossary term {pk}. Use lookup_term to find one by name.") from None


def lookup_term(caller: Caller, *, name: str, limit: int = 5) -> dict:
    """The best match in full, and the other matches by name."""
    matches = term_search(user=caller.user, text=name, limit=max(1, min(int(limit), 20)))
    if not matches:
        raise NotFound(f"No glossary term matches “{name[:100]}”.")
    wanted = name.strip().casefold()
    best = next((term for term in matches if term.name.casefold() == wanted), matches[0])
    term = term_get(user=caller.user, pk=best.pk)
    return {
        "term": term_detail(caller, term),
        "other_matches": [term_ref(term) for term in matches if term.pk != best.pk],
    }
