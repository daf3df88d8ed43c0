"""Every URL pattern × every persona (after Read the Docs' test_privacy_urls).

``test_every_route_has_a_case`` fails when a route is added without cases in ``tests/route_cases/<app>.py``.
"""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

import tests.route_cases
from tests.route_cases.base import PERSONAS
from tests.route_cases.world import build_world

CASE_MODULES = [
    importlib.import_module(f"tests.route_cases.{info.name}")
    for info in pkgutil.iter_modules(tests.route_cases.__path__)
    if info.name not in {"base", "world"}
]
CASES = [case for module in CASE_MODULES for case in module.CASES]

# Django's admin guards itself (staff only); one case per persona checks its door (see route_cases/portal.py).
UNCOVERED_NAMESPACES = ("admin:",)


def url_names(patterns=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_has_a_case():
    covered = {case.url_name for case in CASES}
    missing = sorted(name for name in url_names() - covered if not name.startswith(UNCOVERED_NAMESPACES))
    assert not missing, f"routes without a persona case: {missing}"


def test_no_case_names_a_route_that_does_not_exist():
    stale = sorted({case.url_name for case in CASES} - url_names())
    assert not stale, f"cases for routes that do not exist: {stale}"


@pytest.fixture
def world(db):
    world = build_world()
    for module in CASE_MODULES:
        if hasattr(module, "build"):
            module.build(world)
    return world


def _case_id(case) -> str:
    return f"{case.method.upper()} {case.url_name}{' ' + case.note if case.note else ''}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_route_answers_each_persona_as_designed(case, persona, world, client):
    path = case.path(world)
    user = world.users.get(persona)
    body = case.body(world)
    if path.startswith("/api/"):
        api = APIClient()
        if user is not None:
            api.force_login(user)
        response = (
            getattr(api, case.method)(path, body, format="json")
            if body is not None
            else getattr(api, case.method)(path)
        )
    else:
        if user is not None:
            client.force_login(user)
        response = getattr(client, case.method)(path, body or {}) if case.method != "get" else client.get(path)
    expected = case.status_for(persona, path)
    assert response.status_code == expected, (
        f"{persona} {case.method.upper()} {path}: expected {expected}, got {response.status_code}: "
        f"{getattr(response, 'content', b'')[:300]!r}"
    )
    if case.secret is not None and persona not in case.secret_readers:
        content = b"".join(response) if getattr(response, "streaming", False) else response.content
        assert case.secret(world).encode() not in content, f"{persona} {path} received {case.secret(world)!r}"
