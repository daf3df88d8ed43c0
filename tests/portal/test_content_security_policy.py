"""The Content-Security-Policy header (django-csp) on the portal's pages, the admin and the API docs, and the
templates it relies on: no inline <script>, <style>, style="…" or on…= handler anywhere. (A real browser proves
that the pages, Swagger UI, Redoc and the admin run under it: ``tests/browser/test_content_security_policy.py``.)"""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
}


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize(
    "url", ["/", "/products/", "/search/?q=x", "/governance/", "/glossary/", "/admin/", "/api/v1/docs/"]
)
def test_pages_carry_the_strict_policy(client_for, admin_user, product, url):
    response = client_for(admin_user).get(url)
    assert response.status_code == 200
    assert policy_of(response) == STRICT


def test_the_login_page_and_errors_carry_it_too(client):
    assert policy_of(client.get("/accounts/login/")) == STRICT
    assert policy_of(client.get("/no-such-page/")) == STRICT


def test_swagger_ui_needs_no_relaxation(client_for, owner):
    client = client_for(owner)
    page = client.get("/api/v1/docs/")
    html = page.content.decode()
    assert "<style" not in html and "<script>" not in html
    (script_url,) = re.findall(r'<script src="(/api/v1/docs/\?script=[^"]*)"', html)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


def test_redoc_alone_allows_inline_styles_and_blob_workers(client_for, owner):
    response = client_for(owner).get("/api/v1/redoc/")
    assert response.status_code == 200
    assert policy_of(response) == {**STRICT, "style-src": "'self' 'unsafe-inline'", "worker-src": "'self' blob:"}
    html = response.content.decode()
    assert "<script>" not in html and "fonts.googleapis.com" not in html
    assert 'src="/static/js/redoc-init.js"' in html


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "on… handler"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
    (re.compile(r"\bhx-on", re.IGNORECASE), "hx-on handler (evaluated code)"),
]


def test_no_template_holds_inline_script_or_style():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(), flags=re.DOTALL)
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)!r}")
    assert found == []


def test_percent_step_feeds_the_width_classes():
    from portal.templatetags.portal_tags import percent_step

    assert [percent_step(value) for value in (None, "x", -3, 0, 49.5, "72.4", 100, 250, float("nan"))] == [
        0,
        0,
        0,
        0,
        50,
        72,
        100,
        100,
        0,
    ]
    css = (ROOT / "static/css/portal.css").read_text()
    assert all(f".progress > span.w-{n} {{ width: {n}%; }}" in css for n in range(101))
