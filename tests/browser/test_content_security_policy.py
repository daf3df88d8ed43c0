"""In a real browser, the portal's pages, the API docs (Swagger UI and Redoc) and the Django admin work under the
Content-Security-Policy and the browser reports no violation: nothing inline is blocked because nothing inline is
left, and the docs pages get only their own relaxation."""

import pytest

from governance import services
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _watch(page) -> list[str]:
    """Collect the browser's CSP reports (Chromium logs each refused script, style or connection)."""
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return violations


def test_portal_pages_run_with_no_violation(page_for, owner, product):
    factories.publishable(product, accountable=owner)
    council = factories.CouncilFactory()
    chair = factories.UserFactory()
    factories.SeatFactory(council=council, domain=None, is_chair=True, holder=chair)
    factories.SeatFactory(council=council, domain=product.owner_team.domain, holder=owner)
    proposal = services.proposal_create(
        actor=owner, council=council, kind="resolution", title="Weekly syncs", motivation="Talk more."
    )
    services.proposal_open(actor=chair, proposal=proposal)
    page = page_for(owner, PASSWORD)
    violations = _watch(page)
    for url in (
        "/",
        product.get_absolute_url(),
        product.get_absolute_url() + "quality/",
        product.get_absolute_url() + "edit/",
        "/search/?q=customer",
        "/notifications/",
        "/governance/",
        f"/governance/proposals/{proposal.pk}/",
        "/glossary/",
        "/accounts/token/",
        "/products/declassifications/",
        f"{product.get_absolute_url()}ports/{product.ports.get().pk}/versions/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    # htmx runs: voting swaps the panel in place, and its progress bar is drawn by a class.
    page.goto(f"/governance/proposals/{proposal.pk}/")
    page.check("#voting-panel input[value=for]")
    page.click("#voting-panel button[type=submit]")
    page.wait_for_selector("text=Your vote is recorded")
    assert page.locator("#voting-panel .progress > span.w-50").count() == 1
    assert page.eval_on_selector("#voting-panel .progress > span", "span => getComputedStyle(span).width") != "0px"
    assert violations == []


def test_swagger_ui_renders_the_api_with_no_violation(page_for, owner):
    page = page_for(owner, PASSWORD)
    violations = _watch(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto("/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    schema = page.request.get("/api/v1/schema/?format=json").json()
    tags = {tag for item in schema["paths"].values() for operation in item.values() for tag in operation["tags"]}
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    page.wait_for_load_state("networkidle")
    # Swagger UI virtualizes a list of 150 tags and operations or more: only the rows near the viewport are in the
    # page, so every tag is read while scrolling to the end, as a reader would.
    shown: set[str] = set()
    for _ in range(500):
        shown.update(page.eval_on_selector_all(".opblock-tag", "tags => tags.map(tag => tag.dataset.tag)"))
        before, after = page.evaluate("() => [scrollY, (scrollBy(0, innerHeight / 2), scrollY)]")
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        if before == after:
            break
    assert tags and shown == tags
    assert errors == []
    assert violations == []


def test_redoc_renders_the_api_with_no_violation(page_for, owner):
    page = page_for(owner, PASSWORD)
    violations = _watch(page)
    response = page.goto("/api/v1/redoc/")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["worker-src"] == "'self' blob:"
    page.wait_for_selector(".menu-content", timeout=20_000)
    page.wait_for_selector("h1:has-text('Mesh Portal API')", timeout=20_000)
    page.wait_for_load_state("networkidle")
    # Only Redoc's footer logo on Redocly's CDN is refused: the docs load nothing from outside.
    assert [text for text in violations if "https://cdn.redoc.ly/redoc/logo-mini.svg" not in text] == []


def test_django_admin_works_with_no_violation(page_for, admin_user, product):
    page = page_for(admin_user, PASSWORD)
    violations = _watch(page)
    for url in (
        "/admin/",
        "/admin/products/dataproduct/",
        f"/admin/products/dataproduct/{product.pk}/change/",
        "/admin/governance/standard/add/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
    page.goto("/admin/products/dataproduct/")
    page.check("#action-toggle")  # admin's actions.js runs
    assert page.locator(".action-counter").inner_text().startswith("1 of 1")
    assert violations == []
