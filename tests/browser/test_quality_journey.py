"""A real browser: an owner adds a completeness check through the form (the column comes from the port's schema),
runs the checks, and sees the new result and the score chart."""

import pytest
from django.contrib.auth import get_user_model

from portal.demo import DEMO_PASSWORD
from products.models import OutputPort
from products.quality.models import QualityCheck

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_owner_adds_a_check_runs_it_and_sees_the_result(page_for, demo):
    carla = get_user_model().objects.get(username="carla")
    port = OutputPort.objects.get(product__slug="customer-360", name="customers")

    page = page_for(carla, DEMO_PASSWORD)
    page.goto("/products/crm/customer-360/quality/")
    page.click("a:has-text('Add a check')")
    page.wait_for_selector("form[data-kind-form]")
    page.fill("#id_name", "e-mail filled")
    page.select_option("#id_kind", "completeness")
    page.select_option("#id_port", str(port.pk))
    email = page.locator("[data-column-picker] optgroup:not([disabled]) option[value=email]")
    page.select_option("[data-column-picker] select", element=email.element_handle())
    assert page.is_visible("#id_param_min_percent") and not page.is_visible("#id_param_sql")
    page.fill("#id_param_min_percent", "90")
    page.click("form[data-kind-form] button[type=submit]")
    page.wait_for_url("**/customer-360/quality/")
    check = QualityCheck.objects.get(port=port, name="e-mail filled")
    assert (check.column, check.params) == ("email", {"min_percent": 90})

    page.click("#quality-run button:has-text('Run checks now')")
    page.wait_for_selector("#quality-run-progress[data-run-status=done]")
    page.reload()
    row = page.locator("section.card tr", has_text="e-mail filled").first  # the check, then its results
    assert row.locator(".badge").inner_text() == "passed"
    assert check.results.filter(state="passed").count() == 1
    assert page.locator(".chart svg").first.is_visible()
