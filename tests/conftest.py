"""Shared fixtures: personas, the service-bound markers, and settings that keep the suite fast.

Personas (healthchecks-style): ``owner`` and ``member`` belong to the team that owns ``product``;
``other_owner`` owns another team's product; ``analyst`` belongs to no team; ``staff`` is staff with global
product permissions (which must not open other teams' objects); ``admin`` is a superuser; ``inactive`` is a
deactivated member of the owning team. Apps add their own personas (council, stewards) in their conftest.
"""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from rest_framework.test import APIClient

from tests import factories
from tests.celery_worker import celery_worker_redis  # noqa: F401 - fixture

REQUIRE_SERVICES = os.environ.get("MESH_REQUIRE_SERVICES") == "1"


def _redis_reachable() -> bool:
    url = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _unavailable(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"service-bound test cannot run: {reason} (MESH_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _unavailable("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not _redis_reachable():
        _unavailable("needs Redis: set REDIS_URL=redis://…")
    if request.node.get_closest_marker("browser") and not os.path.exists("/usr/bin/chromium"):
        _unavailable("needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run inline in tests unless a test starts a real worker (see ``tests/celery_worker.py``). A broker
    failure an earlier test provoked leaves the publisher resting for a few seconds; no test inherits that rest."""
    from portal import services as portal_services
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    portal_services.broker_rest_reset()
    yield
    app.conf.task_always_eager = previous
    portal_services.broker_rest_reset()


@pytest.fixture(scope="session", autouse=True)
def _permission_ids_read(django_db_setup, django_db_blocker):
    """A reused test database runs no migration, so nothing has read the product permissions' ids yet: read them
    now, as ``post_migrate`` would have, so no test's query count depends on being the first to use them."""
    from products.permissions import _permission_ids_load

    with django_db_blocker.unblock():
        _permission_ids_load()


@pytest.fixture
def team(db):
    return factories.TeamFactory(slug="customer-data", name="Customer Data", domain__slug="crm", domain__name="CRM")


@pytest.fixture
def other_team(db):
    return factories.TeamFactory(slug="sales-ops", name="Sales Ops", domain__slug="sales", domain__name="Sales")


@pytest.fixture
def owner(team):
    user = factories.UserFactory(username="olivia")
    factories.MembershipFactory(team=team, user=user, role="owner")
    return user


@pytest.fixture
def member(team):
    user = factories.UserFactory(username="mo")
    factories.MembershipFactory(team=team, user=user, role="member")
    return user


@pytest.fixture
def other_owner(other_team):
    user = factories.UserFactory(username="otto")
    factories.MembershipFactory(team=other_team, user=user, role="owner")
    return user


@pytest.fixture
def analyst(db):
    return factories.UserFactory(username="ana")


@pytest.fixture
def staff(db):
    """Staff with *global* product permissions: object scoping must still keep them out of teams' products."""
    user = factories.UserFactory(username="stella", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="products"))
    return user


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def inactive(team):
    user = factories.UserFactory(username="ian", is_active=False)
    factories.MembershipFactory(team=team, user=user, role="member")
    return user


@pytest.fixture
def product(team, owner):
    return factories.DataProductFactory(owner_team=team, slug="customer-360", name="Customer 360")


@pytest.fixture
def draft(team, owner):
    return factories.DataProductFactory(owner_team=team, slug="churn-scores", name="Churn Scores", status="draft")


@pytest.fixture
def other_product(other_team, other_owner):
    return factories.DataProductFactory(owner_team=other_team, slug="bookings", name="Bookings")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client logged in as ``user`` (or anonymous for ``None``)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for(api_client):
    def login(user):
        api_client.force_authenticate(user=None)
        api_client.logout()
        if user is not None:
            api_client.force_login(user)
        return api_client

    return login


@pytest.fixture
def api_token_for(db):
    """``api_token_for(user)``: a new personal API token for ``user``, made as its owner would; returns the key
    (the only time it can be read). ``name`` and ``expires_in_days`` pass through to the service."""
    from portal.services import api_token_create

    def make(user, *, name: str = "pipeline", expires_in_days: int | None = None) -> str:
        _token, key = api_token_create(user=user, name=name, expires_in_days=expires_in_days)
        return key

    return make


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}; require services: {REQUIRE_SERVICES}"
