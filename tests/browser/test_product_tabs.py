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
