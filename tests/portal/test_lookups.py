"""``field__any_of=ids``: the rows ``field__in=ids`` finds, with the ids in one parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.enforcement.models import Violation
from products.models import DataProduct, SchemaField
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_finds_what_in_finds_by_key_foreign_key_and_across_a_join(team):
    products = [factories.DataProductFactory(owner_team=team, slug=f"any-{index}") for index in range(4)]
    port = factories.OutputPortFactory(product=products[1])
    factories.SchemaFieldFactory(port=port, name="id")
    wanted = [products[1].pk, products[3].pk, products[1].pk, 999_999]  # a repeat and an id that does not exist
    assert set(DataProduct.objects.filter(pk__any_of=wanted)) == {products[1], products[3]}
    assert list(SchemaField.objects.filter(port__product_id__any_of=wanted).values_list("name", flat=True)) == ["id"]
    assert set(DataProduct.objects.filter(owner_team_id__any_of=[team.pk])) == set(products)
    assert set(DataProduct.objects.filter(slug__any_of=["any-0", "any-2"])) == {products[0], products[2]}


def test_an_empty_list_matches_nothing_without_a_query():
    with CaptureQueriesContext(connection) as queries:
        assert list(Violation.objects.filter(product_id__any_of=[])) == []
    assert not queries


@pytest.mark.postgres
def test_the_ids_travel_as_one_array_on_postgresql(team):
    ids = [factories.DataProductFactory(owner_team=team, slug=f"arr-{index}").pk for index in range(3)]
    with CaptureQueriesContext(connection) as queries:
        assert DataProduct.objects.filter(pk__any_of=ids).count() == 3
    (sql,) = [query["sql"] for query in queries.captured_queries]
    assert "= ANY(" in sql and " IN (" not in sql
