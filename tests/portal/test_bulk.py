"""``portal.bulk.bulk_insert``: many rows in one statement, a conflict skipped or updated, defaults filled, on
PostgreSQL (arrays through unnest) and SQLite (bulk_create) alike."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.enforcement.models import ProductCompliance, Violation
from portal.bulk import bulk_insert
from tests import factories

pytestmark = pytest.mark.django_db


def _violation(product, message_key: str, message: str = "owner missing") -> dict:
    now = timezone.now()
    return {
        "product_id": product.pk,
        "standard_id": None,
        "rule_key": "baseline:owner",
        "message_key": message_key,
        "message": message,
        "severity": "blocker",
        "opened_at": now,
        "last_seen_at": now,
        "grace_ends": timezone.localdate(now),
        "opened_by_run_id": None,
        "notified_open": True,
    }


def test_rows_go_in_one_statement_with_defaults_and_a_conflict_is_skipped(product):
    bulk_insert(Violation, [_violation(product, "a", "first")])
    with CaptureQueriesContext(connection) as queries:
        bulk_insert(Violation, [_violation(product, "a", "again"), _violation(product, "b", "<b>'quoted'</b>")])
    assert len(queries) <= 2  # one INSERT (SQLite's bulk_create may add a savepoint pair in a transaction)
    rows = {row.message_key: row for row in Violation.objects.filter(product=product)}
    assert set(rows) == {"a", "b"}
    assert rows["a"].message == "first"  # the open key already held: skipped, not doubled
    assert rows["b"].message == "<b>'quoted'</b>"
    assert rows["b"].auto_action_taken == "" and rows["b"].notified_grace is False and rows["b"].resolved_at is None


def test_a_conflict_updates_the_named_fields_only(product, team):
    other = factories.DataProductFactory(owner_team=team)
    now = timezone.now()

    def row(target, score):
        return {"product_id": target.pk, "score": Decimal(score), "rules_checked": 4, "evaluated_at": now}

    bulk_insert(ProductCompliance, [row(product, "50.00")])
    bulk_insert(
        ProductCompliance,
        [row(product, "75.50"), row(other, "10.00")],
        unique_fields=("product",),
        update_fields=("score",),
    )
    scores = dict(ProductCompliance.objects.values_list("product_id", "score"))
    assert scores == {product.pk: Decimal("75.50"), other.pk: Decimal("10.00")}
    assert ProductCompliance.objects.get(product=other).blockers_failed == 0


def test_nothing_to_write_costs_no_query():
    with CaptureQueriesContext(connection) as queries:
        bulk_insert(Violation, [])
    assert not queries


def test_text_of_every_kind_and_one_value_for_all_rows_arrive_as_written(product):
    texts = ['"quoted" \\ back\\slash', "line\nbreak\ttab", "ünïcødé ✓ 漢字", "{braces}, [brackets]", "NULL", ""]
    now = timezone.now()
    rows = [_violation(product, f"key-{index}", text) | {"opened_at": now} for index, text in enumerate(texts)]
    bulk_insert(Violation, rows)
    stored = dict(Violation.objects.filter(product=product).values_list("message_key", "message"))
    assert stored == {f"key-{index}": text for index, text in enumerate(texts)}
    opened = set(Violation.objects.filter(product=product).values_list("opened_at", flat=True))
    assert opened == {now}  # one timestamp for every row, sent once


def test_rows_that_are_all_alike_but_their_key_still_arrive_one_each(product, team):
    others = [factories.DataProductFactory(owner_team=team, slug=f"alike-{index}") for index in range(3)]
    now = timezone.now()
    rows = [{"product_id": other.pk, "score": Decimal("50.00"), "evaluated_at": now} for other in others]
    bulk_insert(ProductCompliance, rows[:1])  # a single row: every column is one value
    bulk_insert(ProductCompliance, rows, unique_fields=("product",), update_fields=("score",))
    assert ProductCompliance.objects.filter(product__in=others, score=Decimal("50.00")).count() == 3
