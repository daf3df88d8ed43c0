"""A real browser: an owner proposes a term, a steward approves it, the owner links it to a column of her product."""

import pytest
from django.contrib.auth import get_user_model

from glossary.models import Term
from portal.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_owner_proposes_steward_approves_owner_links_the_column(page_for, demo):
    users = get_user_model().objects.in_bulk(["carla", "gloria"], field_name="username")

    owner = page_for(users["carla"], DEMO_PASSWORD)
    owner.goto("/glossary/new/")
    owner.fill("#id_name", "Lifetime value")
    owner.fill("#id_definition", "Net value of **all orders** a customer placed, in EUR.")
    owner.click("form.card button[type=submit]")
    owner.wait_for_selector("[data-status=draft]")
    owner.click("button[data-transition=submit]")
    owner.wait_for_selector("[data-status=in_review]")
    term = Term.objects.get(name="Lifetime value")
    assert term.status == Term.Status.IN_REVIEW

    steward = page_for(users["gloria"], DEMO_PASSWORD)
    steward.goto(term.get_absolute_url())
    steward.fill("#review-comment", "Clear and useful.")
    steward.click("button[data-transition=approve]")
    steward.wait_for_selector("[data-status=approved]")

    owner.goto(term.get_absolute_url())
    suggestion = owner.locator("#usage tr", has_text="lifetime_value")
    suggestion.locator("button", has_text="Link").click()
    owner.wait_for_selector("text=lifetime_value is linked to Lifetime value")
    assert "Customer 360" in owner.inner_text("#usage table")
    assert term.links.filter(field__name="lifetime_value").exists()
