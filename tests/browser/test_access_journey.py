"""A real browser: an analyst asks for a restricted product, its owner and the data-protection officer approve, and
the analyst's data preview shows the personal columns masked."""

import pytest
from django.contrib.auth import get_user_model

from portal.demo import DEMO_PASSWORD
from products.access.models import AccessRequest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_analyst_requests_two_approvers_agree_the_preview_is_masked(page_for, demo):
    users = get_user_model().objects.in_bulk(["ana", "carla", "dora"], field_name="username")

    analyst = page_for(users["ana"], DEMO_PASSWORD)
    analyst.goto("/products/crm/customer-360/")
    analyst.click("nav.tabs >> text=Access")  # the product page shows one section at a time
    analyst.locator("#access tr", has_text="customers").locator("a", has_text="Request access").click()
    analyst.wait_for_selector("text=two approvers must agree")
    analyst.fill("#id_purpose", "Churn analysis for the quarterly review.")
    analyst.click("form.card button[type=submit]")
    analyst.wait_for_selector("#waiting-for")
    request = AccessRequest.objects.get(requester=users["ana"], status=AccessRequest.Status.PENDING)
    assert request.approvals_required == 2

    for approver in ("carla", "dora"):
        page = page_for(users[approver], DEMO_PASSWORD)
        page.goto(request.get_absolute_url())
        page.click("button:has-text('Approve')")
        page.wait_for_selector(f".kv .small:has-text('{approver}')")
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED

    analyst.goto("/products/crm/customer-360/#access")  # a link to a tab opens it
    analyst.locator("#access tr", has_text="customers").locator("a", has_text="Data preview").click()
    analyst.wait_for_selector("#why-masked")
    masked = analyst.inner_text("#why-masked")
    assert "email" in masked and "full_name" in masked
    assert analyst.locator("th:has(.badge-pii)").count() >= 3
    assert "@" not in analyst.inner_text("table tbody")  # no e-mail address in clear
