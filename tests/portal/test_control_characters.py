"""Control characters in a URL: a path carrying one is a 404 (JSON under /api/), a query string carrying a NUL is a
400, other control characters in a query string filter nothing out of the ordinary; never a 500. On PostgreSQL a
NUL reaching a lookup is a database error, so CI's PostgreSQL run is the one that matters."""

import pytest

pytestmark = pytest.mark.django_db

CONTROL = ["%00", "%0a", "%1f", "%7f"]


def _paths(product, standard_code: str) -> list[str]:
    domain, slug = product.domain.slug, product.slug
    return [
        "/products/{c}/",
        "/products/{c}/x/",
        f"/products/{domain}/{{c}}/",
        f"/products/{domain}/{slug}{{c}}/",
        f"/products/{domain}/{slug}/quality/{{c}}/",
        "/glossary/terms/{c}/",
        "/governance/standards/{c}/",
        f"/governance/standards/{standard_code}{{c}}/",
        "/search/{c}",
        "/{c}",
        "/admin/products/dataproduct/{c}/change/",
        "/admin/governance/standard/1{c}/change/",
    ]


API_PATHS = ["/api/v1/products/{c}/", "/api/v1/products/1{c}/", "/api/v1/glossary/terms/{c}/", "/api/v1/standards/{c}/"]


@pytest.mark.parametrize("control", CONTROL)
def test_a_control_character_in_a_page_path_is_a_404(client_for, admin_user, product, control):
    from tests import factories

    standard = factories.StandardFactory()
    client = client_for(admin_user)
    for template in _paths(product, standard.code):
        path = template.format(c=control)
        response = client.get(path)
        assert response.status_code == 404, path


@pytest.mark.parametrize("control", CONTROL)
def test_a_control_character_in_an_api_path_is_a_json_404(api_for, owner, product, control):
    api = api_for(owner)
    for template in API_PATHS:
        path = template.format(c=control)
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}


QUERIES = [
    "/api/v1/products/?q={c}",
    "/api/v1/products/?domain=crm{c}",
    "/api/v1/products/?tag={c}",
    "/api/v1/products/?ordering={c}name",
    "/api/v1/glossary/terms/?q=a{c}b",
    "/api/v1/standards/?code={c}",
    "/products/?q={c}",
    "/products/?domain={c}&status=published",
    "/glossary/?q=x{c}",
    "/search/?q={c}",
    "/governance/standards/?q={c}",
]


def test_a_nul_in_a_query_string_is_a_400(client_for, api_for, owner, product):
    client = client_for(owner)
    for template in QUERIES:
        path = template.format(c="%00")
        response = client.get(path)
        assert response.status_code == 400, path
        assert b"NUL" in response.content


@pytest.mark.parametrize("control", ["%0a", "%1f", "%7f"])
def test_other_control_characters_in_a_query_string_are_no_server_error(client_for, owner, product, control):
    client = client_for(owner)
    for template in QUERIES:
        path = template.format(c=control)
        response = client.get(path)
        assert response.status_code in (200, 400), path
