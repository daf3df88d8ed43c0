"""How tool results look: compact JSON with stable URNs, absolute page URLs and the resource URI to read next;
long lists come in pages (``page``, ``page_size``, ``has_more``) without counting the whole list."""

import json
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings

MAX_PAGE_SIZE = 50


class NotFound(Exception):
    """What a tool answers for a missing object, and for one the caller may not see (the same words)."""


def page_url(path: str) -> str:
    return f"{settings.MESH_SITE_URL}{path}" if path else ""


def product_uri(domain_slug: str, slug: str) -> str:
    return f"mesh://products/{domain_slug}/{slug}"


def term_uri(pk: int) -> str:
    return f"mesh://terms/{pk}"


def term_urn(pk: int) -> str:
    return f"{settings.MESH_URN_PREFIX}:term:{pk}"


def number(value) -> float | None:
    return None if value is None else float(value)


def when(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    """(offset, size) for a 1-based page; the size is capped at ``MAX_PAGE_SIZE``."""
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    return (max(1, int(page)) - 1) * size, size


def paginated(queryset_or_list, *, page: int, page_size: int, row) -> dict:
    """One page of rows (each turned into a dict by ``row``): one query for a queryset, and no COUNT."""
    offset, size = page_bounds(page, page_size)
    items = list(queryset_or_list[offset : offset + size + 1])
    has_more = len(items) > size
    return {
        "items": [row(item) for item in items[:size]],
        "page": offset // size + 1,
        "page_size": size,
        "has_more": has_more,
        "next_page": offset // size + 2 if has_more else None,
    }


def _default(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def compact_json(data) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=_default)
