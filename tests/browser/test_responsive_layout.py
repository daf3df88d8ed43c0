"""At a phone's width (390 px) and a laptop's (1280 px) the main pages never scroll sideways: navigation collapses
behind a Menu button, tables scroll inside their card, charts and the lineage graph keep a readable size inside
theirs. Each page is photographed to ``var/shots/`` (the README's pictures come from there)."""

from pathlib import Path

import pytest

from portal.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots"
WIDTHS = {"phone": (390, 844), "laptop": (1280, 900)}
# (persona, page name, address)
PAGES = [
    ("ana", "catalog", "/products/"),
    ("carla", "product-page", "/products/crm/customer-360/"),
    ("sam", "council", "/governance/"),
    ("ana", "glossary", "/glossary/"),
    ("ana", "my-access", "/products/my-access/"),
    ("chris", "compliance", "/governance/compliance/"),
]


def _log_in(browser, live_server, username: str, viewport: tuple[int, int]):
    context = browser.new_context(base_url=live_server.url, viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_main_pages_do_not_scroll_sideways(chromium, live_server, demo, width_name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    viewport = WIDTHS[width_name]
    contexts = {}
    try:
        for username, name, address in PAGES:
            if username not in contexts:
                contexts[username] = _log_in(chromium, live_server, username, viewport)
            page = contexts[username][1]
            response = page.goto(address)
            assert response.status == 200, address
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], f"{address} at {width_name}: {widths[0]} px wide in a {widths[1]} px window"
            page.screenshot(path=str(SHOTS / f"{name}-{width_name}.png"), full_page=True)
            if width_name == "laptop":  # the first screen only: the README's pictures stay small
                page.screenshot(path=str(SHOTS / f"{name}.png"))
    finally:
        for context, _page in contexts.values():
            context.close()


def test_phone_navigation_opens_behind_the_menu_button(chromium, live_server, demo):
    context, page = _log_in(chromium, live_server, "ana", WIDTHS["phone"])
    try:
        page.goto("/products/")
        assert not page.is_visible(".mainnav")
        page.click("label.navtoggle")
        assert page.is_visible(".mainnav a[href='/glossary/']")
        page.click(".mainnav a[href='/glossary/']")
        page.wait_for_url("**/glossary/")
    finally:
        context.close()


def test_laptop_navigation_is_always_shown(chromium, live_server, demo):
    context, page = _log_in(chromium, live_server, "ana", WIDTHS["laptop"])
    try:
        page.goto("/products/")
        assert page.is_visible(".mainnav") and not page.is_visible("label.navtoggle")
    finally:
        context.close()
