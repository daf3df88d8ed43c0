"""The product page's tabs show one section at a time and keep it in the address: a reload, a shared link and Back
all land on the same tab; a link into a section opens its tab."""

import pytest

from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _visible(page) -> list[str]:
    return page.eval_on_selector_all(
        "main section[id]", "els => els.filter(e => !e.closest('[hidden]')).map(e => e.id)"
    )


def test_tabs_show_one_section_and_keep_it_in_the_address(page_for, owner, product):
    factories.OutputPortFactory(product=product, name="orders")
    page = page_for(owner, PASSWORD)
    page.goto(product.get_absolute_url())
    assert "overview" in _visible(page) and "schema" not in _visible(page)
    assert page.get_attribute("nav.tabs a[href='#overview']", "aria-current") == "page"

    page.click("nav.tabs >> text=Schema")
    page.wait_for_url("**#schema")
    assert "schema" in _visible(page) and "overview" not in _visible(page)
    assert page.get_attribute("nav.tabs a[href='#schema']", "aria-current") == "page"

    page.reload()
    assert "schema" in _visible(page) and "overview" not in _visible(page)
    page.click("nav.tabs >> text=History")
    page.go_back()
    page.wait_for_function("() => !document.getElementById('schema').hidden")
    assert "history" not in _visible(page)

    page.goto(product.get_absolute_url() + "#access")
    assert "access" in _visible(page) and "schema" not in _visible(page)


def test_panels_arrive_in_place_and_keep_to_their_tab(page_for, owner, product):
    """The panels other rooms fill load after the page: each replaces its placeholder, the open tab stays the only
    section shown, and a link to a panel opens it once it is there."""
    factories.OutputPortFactory(product=product, name="orders")
    page = page_for(owner, PASSWORD)
    page.goto(product.get_absolute_url() + "#schema")
    page.wait_for_function("() => !document.querySelector('main [aria-busy]')")
    assert _visible(page) == ["schema"]
    assert page.locator("#access th", has_text="Your access").count() == 1  # the real panel, hidden

    page.click("nav.tabs >> text=Access")
    page.wait_for_url("**#access")
    assert _visible(page) == ["access"]
    assert page.locator("#access td.mono", has_text="orders").is_visible()

    page.goto(product.get_absolute_url() + "#quality")
    page.wait_for_function("() => !document.querySelector('main [aria-busy]')")
    assert _visible(page) == ["quality"]
