"""An enforcement chunk costs the same statements at 50 and 500 products, on a first run and on a rerun; a rerun
with nothing changed writes only the compliance rows, and a violation opened on a published product is stored
already marked as notified (no update of the rows just inserted)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.enforcement.engine import products_evaluate
from governance.enforcement.models import Violation
from portal.models import Notification
from tests import factories
from tests.products.bulk import make_products

pytestmark = pytest.mark.django_db


def _statements(ids) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        products_evaluate(ids)
    return [query["sql"].lstrip().upper() for query in context.captured_queries]


def _runs(team, count: int, prefix: str) -> tuple[list[str], list[str]]:
    ids = make_products(team, count, prefix=prefix)
    return _statements(ids), _statements(ids)


def _not_insert(statements: list[str]) -> int:
    return sum(1 for sql in statements if not sql.startswith("INSERT"))


def test_chunk_statements_do_not_grow_from_50_to_500_products(team, owner, member):
    factories.StandardFactory(
        code="STD-NAMES", kind="naming_convention", rule={"target": "name", "pattern": "^[a-z_ ]+$"}
    )
    small_first, small_rerun = _runs(team, 50, "small")
    Violation.objects.all().delete()
    Notification.objects.all().delete()
    large_first, large_rerun = _runs(team, 500, "large")
    assert _not_insert(small_first) == _not_insert(large_first)
    assert _not_insert(small_rerun) == _not_insert(large_rerun)
    if connection.vendor == "postgresql":  # SQLite splits a bulk INSERT into batches of 999 parameters
        assert len(small_first) == len(large_first)
        assert len(small_rerun) == len(large_rerun)


def test_a_rerun_with_nothing_changed_rewrites_no_violation(team, owner, member):
    ids = make_products(team, 20, prefix="steady")
    products_evaluate(ids)
    rerun = _statements(ids)
    assert not [sql for sql in rerun if sql.startswith("UPDATE") and "GOVERNANCE_VIOLATION" in sql]
    assert not [sql for sql in rerun if sql.startswith("INSERT") and "GOVERNANCE_VIOLATION" in sql]


def test_opened_violations_are_stored_notified_with_their_notifications(team, owner, member):
    ids = make_products(team, 10, prefix="fresh")
    first = _statements(ids)
    assert not [sql for sql in first if sql.startswith("UPDATE") and "NOTIFIED_OPEN" in sql]
    opened = Violation.objects.filter(product_id__in=ids)
    assert opened.exists() and not opened.filter(notified_open=False).exists()
    notes = Notification.objects.filter(kind="governance.violation_open")
    assert notes.count() == 2 * opened.count()  # owner and member
    assert notes.first().url.startswith("/products/")
    products_evaluate(ids)
    assert Notification.objects.filter(kind="governance.violation_open").count() == notes.count()
