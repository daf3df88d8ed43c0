import os

import pytest
from django.core.management import call_command

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright; no browser is downloaded. Per module: Playwright's event loop runs
    in the test thread while it is open, and async views (readiness, MCP) called through the test client after a
    browser module must find no loop there."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_for(chromium, live_server):
    """``page_for(user)``: a fresh browser page logged in through the real login form as ``user``."""
    contexts = []
    in_flight = set()  # requests the pages sent that have no answer yet

    def open_page(user, password):
        context = chromium.new_context(base_url=live_server.url)
        context.on("request", lambda request: in_flight.add(request))
        context.on("requestfinished", lambda request: in_flight.discard(request))
        context.on("requestfailed", lambda request: in_flight.discard(request))
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_page
    # A page may still be loading (a panel over htmx, the favicon) when the test's last assertion passes. Closing
    # the browser does not stop the live server's thread serving it, and that request would race the database
    # flush that ends the test: wait until every request the pages made has its answer.
    pages = [page for context in contexts for page in context.pages]
    for _ in range(100):  # at most 5 s
        if not in_flight or not pages:
            break
        pages[0].wait_for_timeout(50)  # lets Playwright deliver the responses' events
    for context in contexts:
        context.close()


@pytest.fixture
def demo(db):
    """The demo seed: its personas (carla, ana, gloria, dora, ...) log in with ``portal.demo.DEMO_PASSWORD``."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
