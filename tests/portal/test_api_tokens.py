"""Personal API tokens: a key is readable once, only its digest is stored, expired and revoked tokens are refused,
``Token`` and ``Bearer`` both work, nobody sees or revokes another person's tokens, the admin never shows a key."""

import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import ApiToken, AuditEvent
from portal.services import api_token_create, api_token_revoke
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
KEY = re.compile(r"mpt_[0-9a-f]{64}")


def _call(key: str, keyword: str = "Token", path: str = "/api/v1/products/"):
    return APIClient().get(path, HTTP_AUTHORIZATION=f"{keyword} {key}")


def _token_table_text() -> str:
    """Every value in every column of the token table, as one string."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(ApiToken._meta.db_table)}")  # noqa: S608
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


# --- the key is readable once ---------------------------------------------------------------------------------


def test_the_page_shows_a_new_key_once_then_only_its_prefix(client_for, analyst):
    client = client_for(analyst)
    response = client.post("/accounts/token/", {"name": "nightly dbt", "expires_in_days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    keys = KEY.findall(response.content.decode())
    assert len(keys) == 1
    key = keys[0]
    token = ApiToken.objects.get(user=analyst)
    assert token.name == "nightly dbt"
    assert timedelta(days=29, hours=23) < token.expiry - timezone.now() <= timedelta(days=30)

    later = client.get("/accounts/token/").content.decode()
    assert key not in later
    assert "nightly dbt" in later and f"{token.token_key}…" in later
    assert key.startswith(token.token_key) and len(token.token_key) == 15
    assert _call(key).status_code == 200


def test_the_page_refuses_a_token_without_a_name(client_for, analyst):
    response = client_for(analyst).post("/accounts/token/", {"name": "  ", "expires_in_days": "never"})
    assert response.status_code == 200
    assert b"This field is required" in response.content or b"Give the token a name" in response.content
    assert not ApiToken.objects.exists()


def test_never_expiring_tokens_can_be_chosen(client_for, analyst):
    client_for(analyst).post("/accounts/token/", {"name": "agent", "expires_in_days": "never"})
    assert ApiToken.objects.get(user=analyst).expiry is None


def test_the_api_answers_a_new_key_once(api_for, analyst):
    api = api_for(analyst)
    response = api.post("/api/v1/tokens/", {"name": "ci", "expires_in_days": 365}, format="json")
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    key = body["key"]
    assert KEY.fullmatch(key)
    assert body["name"] == "ci" and body["prefix"] == key[:15] and body["expires"] and body["expired"] is False

    listing = api.get("/api/v1/tokens/")
    detail = api.get(f"/api/v1/tokens/{body['id']}/")
    assert listing.status_code == detail.status_code == 200
    assert key.encode() not in listing.content and key.encode() not in detail.content
    assert listing.json()["results"][0]["prefix"] == key[:15]
    assert "key" not in detail.json()
    assert _call(key, "Bearer").status_code == 200


def test_the_api_refuses_a_lifetime_outside_the_choices(api_for, analyst):
    response = api_for(analyst).post("/api/v1/tokens/", {"name": "ci", "expires_in_days": 7}, format="json")
    assert response.status_code == 400
    assert "expires_in_days" in response.json()
    response = api_for(analyst).post("/api/v1/tokens/", {"name": "ci", "expires_in_days": None}, format="json")
    assert response.status_code == 201
    assert response.json()["expires"] is None


def test_a_token_can_make_another_for_a_pipeline(analyst, api_token_for):
    key = api_token_for(analyst)
    response = APIClient().post("/api/v1/tokens/", {"name": "second"}, format="json", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 201
    assert ApiToken.objects.filter(user=analyst).count() == 2


def test_a_user_holds_a_bounded_number_of_tokens(settings, analyst, api_for, api_token_for):
    settings.MESH_API_TOKENS_PER_USER = 2
    api_token_for(analyst)
    api_token_for(analyst)
    response = api_for(analyst).post("/api/v1/tokens/", {"name": "third"}, format="json")
    assert response.status_code == 400
    assert "revoke one" in response.json()["name"][0]
    assert ApiToken.objects.filter(user=analyst).count() == 2


# --- only a digest is stored ------------------------------------------------------------------------------------


def test_the_database_holds_only_a_digest_of_the_key(analyst):
    token, key = api_token_create(user=analyst, name="ci", expires_in_days=90)
    stored = _token_table_text()
    assert key not in stored
    assert key[15:] not in stored  # not even the part after the prefix
    assert token.digest == hashlib.sha512(key.encode()).hexdigest()
    assert key not in str(list(AuditEvent.objects.values()))


# --- expired and revoked tokens are refused ------------------------------------------------------------------


def test_an_expired_token_gets_401(analyst, api_token_for):
    key = api_token_for(analyst, expires_in_days=30)
    assert _call(key).status_code == 200
    ApiToken.objects.filter(user=analyst).update(expiry=timezone.now() - timedelta(seconds=1))
    response = _call(key)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert _call(key, "Bearer").status_code == 401


def test_a_token_revoked_on_the_page_gets_401_at_once(client_for, analyst, api_token_for):
    key = api_token_for(analyst)
    token = ApiToken.objects.get(user=analyst)
    assert _call(key).status_code == 200
    response = client_for(analyst).post(f"/accounts/token/{token.pk}/revoke/")
    assert response.status_code == 302
    assert _call(key).status_code == 401
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=analyst, target_id=str(token.pk)).exists()


def test_a_token_revoked_through_the_api_gets_401_at_once(analyst, api_token_for):
    key = api_token_for(analyst)
    token = ApiToken.objects.get(user=analyst)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert api.get("/api/v1/products/").status_code == 401


def test_a_deactivated_users_token_gets_401(analyst, api_token_for):
    key = api_token_for(analyst)
    analyst.is_active = False
    analyst.save()
    assert _call(key).status_code == 401


# --- header forms ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer", "token"])
def test_token_and_bearer_prefixes_both_work(analyst, api_token_for, keyword):
    key = api_token_for(analyst)
    response = _call(key, keyword, "/api/v1/tokens/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_a_use_is_recorded_as_the_tokens_last_use(analyst, api_token_for):
    key = api_token_for(analyst)
    assert ApiToken.objects.get(user=analyst).last_used_at is None
    _call(key)
    assert ApiToken.objects.get(user=analyst).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Token", "Token a b", "Bearer mpt_nonsense0000000", "Token \x00abcdefabcdefabcdef", "Token ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ"],
)
def test_malformed_or_unknown_tokens_get_401_with_a_challenge(header):
    response = APIClient().get("/api/v1/products/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_personal_token_as_bearer_pushes_quality_results_for_a_team_member(member, product, api_token_for):
    key = api_token_for(member)
    response = APIClient().post(
        f"/api/v1/products/{product.pk}/quality-results/",
        {"results": [{"check": "dbt: rows", "passed": True}]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201, response.content


# --- nobody sees or revokes another person's tokens ---------------------------------------------------------------


@pytest.mark.parametrize("persona", ["analyst", "other_owner", "staff", "admin_user"])
def test_another_users_token_is_404_on_the_api_and_the_page(request, owner, persona, api_token_for):
    key = api_token_for(owner, name="nightly")
    token = ApiToken.objects.get(user=owner)
    intruder = request.getfixturevalue(persona)
    api = APIClient()
    api.force_login(intruder)
    assert api.get(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert api.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    listing = api.get("/api/v1/tokens/")
    assert listing.json()["results"] == []
    page = Client()
    page.force_login(intruder)
    assert page.post(f"/accounts/token/{token.pk}/revoke/").status_code == 404
    assert b"nightly" not in page.get("/accounts/token/").content
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert _call(key).status_code == 200


def test_the_token_list_takes_the_same_queries_for_many_tokens(api_for, analyst, django_assert_max_num_queries):
    api = api_for(analyst)
    for index in range(3):
        api_token_create(user=analyst, name=f"t{index}", expires_in_days=None)
    with django_assert_max_num_queries(6) as few:
        api.get("/api/v1/tokens/")
    for index in range(30):
        api_token_create(user=analyst, name=f"more{index}", expires_in_days=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/tokens/?page_size=100").json()["results"]) == 33


# --- the user name and password endpoint --------------------------------------------------------------------------


def test_a_password_trades_for_a_new_pipeline_token_shown_once(owner):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": owner.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token"] == body["key"] and KEY.fullmatch(body["key"])
    assert body["name"] == "pipeline"
    assert ApiToken.objects.get(user=owner).name == "pipeline"
    assert body["key"] not in _token_table_text()
    assert _call(body["key"]).status_code == 200


def test_the_password_endpoint_takes_a_form_as_the_former_one_did(owner):
    response = Client().post("/api/v1/auth/token/", {"username": owner.username, "password": PASSWORD, "name": "etl"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=owner).name == "etl"


def test_a_wrong_password_makes_no_token(owner):
    response = Client().post("/api/v1/auth/token/", {"username": owner.username, "password": "wrong"})
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


# --- the admin ----------------------------------------------------------------------------------------------------


def test_the_admin_never_shows_a_key_or_a_digest(client_for, admin_user, owner):
    token, key = api_token_create(user=owner, name="nightly", expires_in_days=None)
    client = client_for(admin_user)
    changelist = client.get("/admin/portal/apitoken/")
    change = client.get(f"/admin/portal/apitoken/{token.pk}/change/")
    assert changelist.status_code == change.status_code == 200
    for response in (changelist, change):
        assert key.encode() not in response.content
        assert token.digest.encode() not in response.content
        assert b"nightly" in response.content
    assert client.get("/admin/portal/apitoken/add/").status_code == 403


def test_staff_revoke_a_token_with_the_admin_action(client_for, admin_user, owner):
    token, key = api_token_create(user=owner, name="leaked", expires_in_days=None)
    response = client_for(admin_user).post(
        "/admin/portal/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert _call(key).status_code == 401
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.actor == admin_user and event.data["owner"] == owner.pk


def test_staff_without_the_delete_permission_cannot_revoke(staff, owner):
    token, _key = api_token_create(user=owner, name="ci", expires_in_days=None)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=staff, token=token)  # staff hold product permissions only
    assert ApiToken.objects.filter(pk=token.pk).exists()


# --- tokens from before: DRF's table is carried over -----------------------------------------------------------


def test_former_drf_tokens_keep_working_hashed_and_their_table_is_dropped(owner):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("portal.migrations.0003_carry_over_drf_tokens")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        created_type = connection.data_types["DateTimeField"]  # as DRF's migration made it
        cursor.execute(
            f'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, user_id integer NOT NULL, created {created_type})'
        )
        cursor.execute(
            'INSERT INTO authtoken_token ("key", user_id, created) VALUES (%s, %s, %s)',
            [old_key, owner.pk, timezone.now() - timedelta(days=400)],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", timezone.now()],
        )
        schema_editor = SimpleNamespace(connection=connection, execute=cursor.execute)
        migration.carry_over(apps, schema_editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=owner)
    assert token.name == "migrated" and token.expiry is None
    assert timezone.now() - token.created > timedelta(days=399)
    assert old_key not in _token_table_text()
    assert _call(old_key).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = %s", ["authtoken"])
        assert cursor.fetchone()[0] == 0


def test_a_new_install_has_no_drf_token_table_and_the_carry_over_does_nothing():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("portal.migrations.0003_carry_over_drf_tokens")
    assert "authtoken_token" not in connection.introspection.table_names()
    migration.carry_over(apps, SimpleNamespace(connection=connection, execute=None))
    assert not ApiToken.objects.exists()
