"""Full-text search over products: a tsvector with a GIN index on PostgreSQL, an FTS5 table on SQLite, each kept
beside the product rows (``ProductSearchVector``, ``products_dataproduct_fts``) so that lists never read it.

The index holds names, tags, summaries, field names and documentation. It is refreshed for the products a write
touched (see ``products.signals``); nothing is computed per query, so a search costs an index look-up.
"""

import re
from collections.abc import Iterable
from contextlib import contextmanager
from threading import local

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet

FTS_TABLE = "products_dataproduct_fts"
TOKEN_RE = re.compile(r"\w+", re.UNICODE)

_PG_UPDATE = """
INSERT INTO products_productsearchvector (product_id, vector)
SELECT p.id,
    setweight(to_tsvector('english', coalesce(p.name, '')), 'A')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(t.name, ' ') FROM products_dataproduct_tags pt
        JOIN products_tag t ON t.id = pt.tag_id WHERE pt.dataproduct_id = p.id), '')), 'A')
 || setweight(to_tsvector('english', coalesce(p.summary, '')), 'B')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(f.name || ' ' || replace(f.name, '_', ' '), ' ') FROM products_schemafield f
        JOIN products_outputport o ON o.id = f.port_id WHERE o.product_id = p.id), '')), 'B')
 || setweight(to_tsvector('english', coalesce(p.documentation, '')), 'C')
FROM products_dataproduct p WHERE p.id = ANY(%s)
ON CONFLICT (product_id) DO UPDATE SET vector = EXCLUDED.vector
"""

_SQLITE_DELETE = f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT value FROM json_each(%s))"  # noqa: S608
_SQLITE_INSERT = f"""
INSERT INTO {FTS_TABLE} (rowid, name, tags, summary, fields, documentation)
SELECT p.id, p.name,
    coalesce((SELECT group_concat(t.name, ' ') FROM products_dataproduct_tags pt
              JOIN products_tag t ON t.id = pt.tag_id WHERE pt.dataproduct_id = p.id), ''),
    p.summary,
    coalesce((SELECT group_concat(f.name, ' ') FROM products_schemafield f
              JOIN products_outputport o ON o.id = f.port_id WHERE o.product_id = p.id), ''),
    p.documentation
FROM products_dataproduct p WHERE p.id IN (SELECT value FROM json_each(%s))
"""  # noqa: S608

_state = local()


def _flush(product_ids: Iterable[int]) -> None:
    ids = sorted({int(pk) for pk in product_ids})
    if not ids:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_UPDATE, [ids])
        else:
            import json

            payload = json.dumps(ids)
            cursor.execute(_SQLITE_DELETE, [payload])
            cursor.execute(_SQLITE_INSERT, [payload])


def search_index_update(product_ids: Iterable[int]) -> None:
    """Refresh the search index for these products now, or at the end of an ``index_batch()`` block."""
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.update(int(pk) for pk in product_ids)
        return
    _flush(product_ids)


@contextmanager
def index_batch():
    """Collect index refreshes inside the block and run them once at its end (seeding, imports, benchmarks)."""
    outer = getattr(_state, "pending", None)
    if outer is not None:
        yield
        return
    _state.pending = set()
    try:
        yield
        _flush(_state.pending)
    finally:
        _state.pending = None


def _fts5_query(text: str) -> str:
    tokens = TOKEN_RE.findall(text)
    return " ".join(f'"{token}"' for token in tokens)


RANK_CAP = 2000  # matches above which results come in name order instead of relevance order (PostgreSQL)


def _more_than(queryset: QuerySet, limit: int) -> bool:
    """Whether ``queryset`` holds more than ``limit`` rows, reading at most ``limit + 1`` ids (never a full COUNT)."""
    ids = queryset.order_by().values_list("pk", flat=True)[limit : limit + 1]
    return bool(list(ids))


def _few_ids(ids: QuerySet) -> list[int] | None:
    """The ids ``ids`` selects when at most ``RANK_CAP`` (read in one index-only query), else None.

    A short list lets the planner fetch those products by primary key and test visibility on each; given the same
    match as a join or a subquery, it estimates hundreds of rows for any word and scans the whole product table
    under the visibility filter (55 ms at 100k products, for a word found once)."""
    found = list(ids[: RANK_CAP + 1])
    return found if len(found) <= RANK_CAP else None


IDENTIFIER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+$")  # customer_id, date_of_birth


def _field_name_matches(queryset: QuerySet, text: str) -> QuerySet | None:
    """Products with a column named ``text`` (through the field-name index), or None when no column has that name.

    A column name split into words ('customer', 'id') matches every product mentioning both anywhere, and a phrase
    check then reads the index column of each of them; the name itself is one B-tree look-up."""
    from products.models import SchemaField

    if not IDENTIFIER_RE.match(text) or len(text) > 200:
        return None
    names = {text, text.lower()}
    columns = SchemaField.objects.filter(name__in=names)
    product_ids = columns.order_by().values_list("port__product_id", flat=True).distinct()
    few = _few_ids(product_ids)
    if few == []:
        return None
    return queryset.filter(pk__in=product_ids if few is None else few).order_by("name", "pk")


def search_filter(queryset: QuerySet, text: str) -> QuerySet:
    """Products matching ``text``, best match first (a column name: the products with that column, by name)."""
    text = (text or "").strip()
    if not text:
        return queryset
    by_field = _field_name_matches(queryset, text)
    if by_field is not None:
        return by_field
    if connection.vendor == "postgresql":
        from products.models import ProductSearchVector

        query = SearchQuery(text, config="english", search_type="websearch")
        few = _few_ids(ProductSearchVector.objects.filter(vector=query).values_list("product_id", flat=True))
        if few is not None:  # a rare word: those products by id, ranked
            return (
                queryset.filter(pk__in=few)
                .annotate(search_rank=SearchRank(F("search_vector__vector"), query))
                .order_by("-search_rank", "name", "pk")
            )
        matches = queryset.filter(search_vector__vector=query)
        if _more_than(matches, RANK_CAP):
            # A word in a large share of the catalog: ranking would read every match's vector to order them; the
            # name order walks an index and stops at the page's end.
            return matches.order_by("name", "pk")
        return matches.annotate(search_rank=SearchRank(F("search_vector__vector"), query)).order_by(
            "-search_rank", "name", "pk"
        )
    match = _fts5_query(text)
    if not match:
        return queryset.none()
    table = queryset.model._meta.db_table
    if _fts5_more_than(match, RANK_CAP):  # as on PostgreSQL: a very common word is listed in name order
        return queryset.extra(  # noqa: S610 - FTS5 is joined as a table; the match string is a bound parameter
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = {table}.id", f"{FTS_TABLE} MATCH %s"],
            params=[match],
        ).order_by("name", "pk")
    return queryset.extra(  # noqa: S610 - FTS5 is joined as a table; the match string is a bound parameter
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = {table}.id", f"{FTS_TABLE} MATCH %s"],
        params=[match],
        # Weighted BM25: name and tags count most, then summary and field names, then documentation.
        select={"search_rank": f"bm25({FTS_TABLE}, 10.0, 8.0, 4.0, 4.0, 1.0)"},
        order_by=["search_rank", "name", "id"],
    )


def _fts5_more_than(match: str, limit: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT 1 OFFSET %s", [match, limit])  # noqa: S608
        return cursor.fetchone() is not None
