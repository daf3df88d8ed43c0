"""Search finds products by words in the summary, by tag and by field name, on SQLite (FTS5) and PostgreSQL."""

import pytest

from products import selectors, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(owner, team):
    product = services.product_create(
        actor=owner,
        team=team,
        slug="customer-360",
        name="Customer 360",
        summary="Contact details and lifetime value for every shopper",
        tags=["gdpr"],
    )
    services.port_save(
        actor=owner,
        product=product,
        name="customers",
        version="1.0.0",
        fields=[{"name": "loyalty_tier"}, {"name": "date_of_birth", "classification": "pii"}],
    )
    factories.DataProductFactory(owner_team=team, name="Inventory Levels", summary="Stock on hand per warehouse")
    return product


def _names(user, text):
    return [product.name for product in selectors.product_list(user=user, filters={"q": text})]


def test_finds_by_a_word_in_the_summary(owner, catalog):
    assert _names(owner, "lifetime") == ["Customer 360"]


def test_finds_by_a_stemmed_word(owner, catalog):
    assert _names(owner, "shoppers") == ["Customer 360"]


def test_finds_by_tag(owner, catalog):
    assert _names(owner, "gdpr") == ["Customer 360"]


def test_finds_by_field_name(owner, catalog):
    assert _names(owner, "loyalty_tier") == ["Customer 360"]
    assert _names(owner, "date_of_birth") == ["Customer 360"]


def test_index_follows_edits(owner, catalog):
    services.product_update(actor=owner, product=catalog, summary="Renamed entirely", tags=["crm"])
    assert _names(owner, "lifetime") == []
    assert _names(owner, "crm") == ["Customer 360"]


def test_search_input_with_operators_is_harmless(owner, catalog):
    for text in ['"unbalanced', "a OR", "NEAR(", "-*", "'); drop table x; --", "ü€"]:
        _names(owner, text)


def test_drafts_do_not_leak_through_search(owner, analyst, team):
    factories.DataProductFactory(owner_team=team, name="Secret Plan", summary="mergers", status="draft")
    from products.models import DataProduct
    from products.search import search_index_update

    search_index_update(DataProduct.objects.values_list("pk", flat=True))
    assert _names(analyst, "mergers") == []
    assert _names(owner, "mergers") == ["Secret Plan"]


def test_catalog_page_and_api_search_agree(client_for, api_for, owner, catalog):
    page = client_for(owner).get("/products/?q=loyalty_tier")
    assert b"Customer 360" in page.content
    api = api_for(owner).get("/api/v1/products/?q=loyalty_tier")
    assert [item["name"] for item in api.json()["results"]] == ["Customer 360"]


def test_a_word_in_very_many_products_lists_them_by_name_unranked(owner, team, monkeypatch):
    from products import search
    from tests.products.bulk import make_products

    make_products(team, 6, prefix="common")
    monkeypatch.setattr(search, "RANK_CAP", 3)
    names = _names(owner, "catalogue")
    assert len(names) == 6
    assert names == sorted(names)


def test_a_column_name_finds_the_products_with_that_column(owner, catalog, team):
    other = factories.DataProductFactory(owner_team=team, name="Loyalty Tier Report", summary="loyalty tier trends")
    assert other.pk
    assert _names(owner, "loyalty_tier") == ["Customer 360"]
    assert _names(owner, "Loyalty_Tier") == ["Customer 360"]


def test_a_rare_word_lists_only_what_the_reader_may_see_best_match_first(owner, analyst, team):
    factories.DataProductFactory(owner_team=team, name="Zebra Draft", summary="okapi okapi okapi", status="draft")
    factories.DataProductFactory(owner_team=team, name="Anteater", summary="one okapi among many other animals")
    factories.DataProductFactory(owner_team=team, name="Bison", summary="okapi okapi sightings")
    from products.models import DataProduct
    from products.search import search_index_update

    search_index_update(DataProduct.objects.values_list("pk", flat=True))
    assert sorted(_names(analyst, "okapi")) == ["Anteater", "Bison"]
    assert set(_names(owner, "okapi")) == {"Zebra Draft", "Anteater", "Bison"}
    assert _names(owner, "okapi")[-1] == "Anteater"  # the weakest match last


def test_a_column_in_more_products_than_the_cap_still_finds_them_all(owner, team, monkeypatch):
    from products import search

    for index in range(4):
        product = factories.DataProductFactory(owner_team=team, name=f"Ledger {index}")
        port = factories.OutputPortFactory(product=product, name=f"rows_{index}")
        factories.SchemaFieldFactory(port=port, name="booking_ref")
    monkeypatch.setattr(search, "RANK_CAP", 2)
    assert _names(owner, "booking_ref") == [f"Ledger {index}" for index in range(4)]
    monkeypatch.setattr(search, "RANK_CAP", 10)
    assert _names(owner, "booking_ref") == [f"Ledger {index}" for index in range(4)]
