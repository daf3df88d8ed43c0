"""An enforcement chunk costs the same statements at 50 and 500 products, on a first run and on a rerun; a rerun
with nothing changed writes nothing until its rows are an hour old, and a violation opened on a published product is
stored already marked as notified (no update of the rows just inserted)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.enforcement.engine import SEEN_RESOLUTION, products_evaluate
from governance.enforcement.models import ProductCompliance, Violation
from portal.models import Notification
from products.models import DataProduct
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


def _writes(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_rerun_with_nothing_changed_writes_nothing(team, owner, member):
    ids = make_products(team, 20, prefix="steady")
    products_evaluate(ids)
    checked = dict(ProductCompliance.objects.filter(product_id__in=ids).values_list("product_id", "evaluated_at"))
    assert _writes(_statements(ids)) == []
    assert (
        dict(ProductCompliance.objects.filter(product_id__in=ids).values_list("product_id", "evaluated_at")) == checked
    )


def test_a_rerun_an_hour_later_confirms_the_rows_it_found_unchanged(team, owner, member):
    ids = make_products(team, 5, prefix="later")
    products_evaluate(ids)
    scores = dict(ProductCompliance.objects.filter(product_id__in=ids).values_list("product_id", "score"))
    later = timezone.now() + SEEN_RESOLUTION + timedelta(minutes=1)
    with CaptureQueriesContext(connection) as context:
        products_evaluate(ids, now=later)
    writes = _writes([query["sql"].lstrip().upper() for query in context.captured_queries])
    assert not [sql for sql in writes if sql.startswith("INSERT") and "GOVERNANCE_VIOLATION" in sql]
    assert set(ProductCompliance.objects.filter(product_id__in=ids).values_list("evaluated_at", flat=True)) == {later}
    assert set(
        Violation.objects.filter(product_id__in=ids, resolved_at=None).values_list("last_seen_at", flat=True)
    ) == {later}
    assert dict(ProductCompliance.objects.filter(product_id__in=ids).values_list("product_id", "score")) == scores


def test_a_rerun_rewrites_only_the_scores_that_changed(team, owner, member):
    ids = make_products(team, 6, prefix="changed")
    products_evaluate(ids)
    before = {row.product_id: row for row in ProductCompliance.objects.filter(product_id__in=ids)}
    fixed = factories.publishable(DataProduct.objects.get(pk=ids[0]), accountable=owner)
    products_evaluate(ids)
    after = {row.product_id: row for row in ProductCompliance.objects.filter(product_id__in=ids)}
    assert after[fixed.pk].score > before[fixed.pk].score
    assert after[fixed.pk].evaluated_at > before[fixed.pk].evaluated_at
    assert all(after[pk].evaluated_at == before[pk].evaluated_at for pk in ids[1:])


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
