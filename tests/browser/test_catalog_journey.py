"""A real browser: an owner creates a product with two fields and publishes it; an analyst finds it by a field."""

import pytest

from products.models import DataProduct
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_owner_publishes_a_product_and_an_analyst_finds_it_by_field_name(page_for, owner, analyst, team):
    page = page_for(owner, PASSWORD)
    page.click("text=New data product")
    page.fill("#id_name", "Store Footfall")
    page.fill("#id_slug", "store-footfall")
    page.select_option("#id_owner_team", str(team.pk))
    page.fill("#id_summary", "Visitors counted at store entrances every hour")
    page.fill("#id_freshness_minutes", "60")
    page.select_option("#id_accountable", str(owner.pk))  # the baseline standard wants an accountable person
    page.click("text=Create draft")
    page.wait_for_url("**/products/crm/store-footfall/")
    assert "Draft" in page.inner_text(".badge-draft")

    page.click("text=Add output port")
    page.fill("#id_name", "hourly_counts")
    page.fill("#id_location", "warehouse.retail.footfall_hourly")
    page.fill("#id_version", "1.0.0")
    page.fill("#id_fields-0-name", "store_id")
    page.fill("#id_fields-0-data_type", "integer")
    page.fill("#id_fields-1-name", "visitor_count")
    page.fill("#id_fields-1-data_type", "integer")
    page.click("text=Save port")
    page.wait_for_url("**/products/crm/store-footfall/#schema")
    assert page.locator("#schema td.mono", has_text="visitor_count").count() == 1

    page.click("button[data-transition=published]")
    page.wait_for_selector(".badge-published")
    assert DataProduct.objects.get(slug="store-footfall").status == "published"

    analyst_page = page_for(analyst, PASSWORD)
    analyst_page.fill("input[name=q]", "visitor_count")
    analyst_page.press("input[name=q]", "Enter")
    analyst_page.wait_for_url("**/search/?q=visitor_count")
    results = analyst_page.locator("#results-products .result > a")
    assert results.all_inner_texts() == ["Store Footfall"]
    results.first.click()
    analyst_page.wait_for_url("**/products/crm/store-footfall/")
    assert "visitor_count" in analyst_page.inner_text("#schema")
