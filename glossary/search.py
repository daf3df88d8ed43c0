"""Full-text search over terms (names, synonyms, abbreviations, definitions, examples), as in ``products.search``:
a stored tsvector with a GIN index on PostgreSQL, an FTS5 table on SQLite. Refreshed for the terms a write touched
(``glossary.signals``), so a search is an index look-up."""

import json
import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet

FTS_TABLE = "glossary_term_fts"
TOKEN_RE = re.compile(r"\w+", re.UNICODE)

_PG_UPDATE = """
UPDATE glossary_term AS t SET search_vector =
    setweight(to_tsvector('english', coalesce(t.name, '')), 'A')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(a.name, ' ') FROM glossary_termalias a WHERE a.term_id = t.id), '')), 'A')
 || setweight(to_tsvector('english', coalesce(t.definition, '')), 'B')
 || setweight(to_tsvector('english', coalesce(t.examples, '')), 'C')
WHERE t.id = ANY(%s)
"""

_SQLITE_DELETE = f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT value FROM json_each(%s))"  # noqa: S608
_SQLITE_INSERT = f"""
INSERT INTO {FTS_TABLE} (rowid, name, aliases, definition, examples)
SELECT t.id, t.name,
    coalesce((SELECT group_concat(a.name, ' ') FROM glossary_termalias a WHERE a.term_id = t.id), ''),
    t.definition, t.examples
FROM glossary_term t WHERE t.id IN (SELECT value FROM json_each(%s))
"""  # noqa: S608


def search_index_update(term_ids: Iterable[int]) -> None:
    ids = sorted({int(pk) for pk in term_ids if pk})
    if not ids:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_UPDATE, [ids])
        elif connection.vendor == "sqlite":
            payload = json.dumps(ids)
            cursor.execute(_SQLITE_DELETE, [payload])
            cursor.execute(_SQLITE_INSERT, [payload])


def search_filter(queryset: QuerySet, text: str) -> QuerySet:
    """Terms matching ``text``, best match first (a word prefix matches on both engines)."""
    text = (text or "").strip()
    if not text:
        return queryset
    tokens = TOKEN_RE.findall(text)
    if not tokens:
        return queryset.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(" & ".join(f"{token}:*" for token in tokens), config="english", search_type="raw")
        return (
            queryset.filter(search_vector=query)
            .annotate(search_rank=SearchRank(F("search_vector"), query))
            .order_by("-search_rank", "name", "pk")
        )
    match = " ".join(f'"{token}"*' for token in tokens)
    table = queryset.model._meta.db_table
    return queryset.extra(  # noqa: S610 - FTS5 is joined as a table; the match string is a bound parameter
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = {table}.id", f"{FTS_TABLE} MATCH %s"],
        params=[match],
        select={"search_rank": f"{FTS_TABLE}.rank"},
        order_by=["search_rank", "name", "id"],
    )
