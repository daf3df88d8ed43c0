"""The CHECKLIST's foundations: CSRF, API defaults, brute-force lockout, deploy settings, Celery invariants."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from portal.markdown import REMEMBERED_LENGTH, render_markdown
from portal.models import ApiToken
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_page_post_without_csrf_token_is_refused(owner, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/products/new/", {"name": "X", "slug": "x", "owner_team": team.pk})
    assert response.status_code == 403


def test_api_post_with_session_and_without_csrf_token_is_refused(owner, product):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(f"/api/v1/products/{product.pk}/deprecate/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_api_post_with_a_token_needs_no_csrf_token(owner, product, api_token_for):
    key = api_token_for(owner)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/api/v1/products/{product.pk}/deprecate/",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 200


def test_api_defaults_to_authenticated_and_paginates_with_a_cap():
    assert settings.REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] == [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.permissions.TokenScopeAllows",
    ]
    assert settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] == "portal.api.pagination.PagePagination"
    from portal.api.pagination import PagePagination

    assert PagePagination.max_page_size == 100


def test_api_page_size_is_capped(api_for, owner, team):
    from tests.products.bulk import make_products

    make_products(team, 120)
    response = api_for(owner).get("/api/v1/products/?page_size=1000")
    assert len(response.json()["results"]) == 100
    assert response.json()["next"]


def test_anonymous_api_call_is_401_with_a_challenge(api_client):
    response = api_client.get("/api/v1/products/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_no_anonymous_user_in_guardian():
    assert settings.ANONYMOUS_USER_NAME is None


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_locks_out_after_five_failures(owner):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, owner.username, "wrong").status_code == 200
    assert _login(client, owner.username, "wrong").status_code == 429
    response = _login(client, owner.username, PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_token_endpoint_locks_out_too(owner):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": owner.username, "password": "wrong"})
    response = client.post("/api/v1/auth/token/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 429
    assert b"mpt_" not in response.content
    assert not ApiToken.objects.filter(user=owner).exists()


def test_a_right_password_logs_in_and_a_wrong_one_does_not(owner):
    client = Client()
    assert _login(client, owner.username, PASSWORD).status_code == 302
    assert Client().post("/accounts/login/", {"username": owner.username, "password": "nope"}).status_code == 200


@pytest.mark.parametrize("padding", ["", "x" * REMEMBERED_LENGTH])  # remembered once rendered, or too long for it
def test_documentation_markdown_cannot_carry_script(padding):
    hostile = 'Hello <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="alert(1)">' + padding
    for _ in range(2):  # rendered, then as remembered
        html = render_markdown(hostile)
        assert "<script" not in html
        assert "javascript:" not in html
        assert "onerror" not in html


def test_product_page_escapes_hostile_documentation(client_for, owner, product):
    product.documentation = "<script>alert('x')</script>**bold**"
    product.save()
    content = client_for(owner).get(product.get_absolute_url()).content
    assert b"<script>alert" not in content
    assert b"<strong>bold</strong>" in content


def test_deploy_check_passes_with_production_settings():
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "1",
        "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-4f9a1c2e8b",
        "ALLOWED_HOSTS": "mesh.example.com",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_celery_time_limits_stay_below_the_broker_visibility_timeout():
    from portal.celery import app

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    for name, task in app.tasks.items():
        if name.startswith(("portal.", "products.", "governance.", "glossary.")):
            limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
            assert limit < visibility, name


def test_nul_characters_are_refused_in_bodies_and_query_strings(api_for, owner, team):
    api = api_for(owner)
    body = {"name": "Orders", "slug": "orders", "domain": "c\x00rm", "owner_team": team.slug}
    assert api.post("/api/v1/products/", body, format="json").status_code == 400
    assert api.get("/api/v1/products/?q=a%00b").status_code == 400
