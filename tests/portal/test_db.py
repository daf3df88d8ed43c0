"""Bulk loaders leave PostgreSQL's statistics fresh, and at the end of a load the tables vacuumed too."""

import time

import pytest
from django.db import connection, transaction

from portal.db import analyze
from products.models import Tag

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _counts() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relname = %s", [Tag._meta.db_table]
        )
        return cursor.fetchone()


def _settled(before: tuple[int, int]) -> tuple[int, int]:
    # The statistics collector reports a moment later; ask again until it has.
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
        now = _counts()
        if now != before:
            return now
        time.sleep(0.05)
    return _counts()


def test_the_end_of_a_load_vacuums_and_analyzes_and_a_load_in_a_transaction_analyzes():
    before = _counts()
    analyze(Tag, vacuum=True)
    after = _settled(before)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1
    with transaction.atomic():
        analyze(Tag, vacuum=True)  # VACUUM cannot run in a transaction: statistics only
    during = _settled(after)
    assert during[0] == after[0] and during[1] == after[1] + 1
    analyze(Tag)  # a refresh during a load: statistics only
    final = _settled(during)
    assert final[0] == during[0] and final[1] == during[1] + 1
