"""Sign-in through a real OpenID Connect provider: the certified ``oidc-provider`` (npm) runs in a node process
started by the test, with its development login screens. The portal's mozilla-django-oidc client exchanges the
code over HTTP, checks the signed ID token against the provider's keys and reads the userinfo claims.

Needs node and ``oidc-provider`` installed under ``var/oidc`` (``make oidc-test-deps``); skipped when node is missing
unless MESH_REQUIRE_SERVICES=1."""

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model

from portal.models import AuditEvent
from products.models import IdentityProviderLink, Membership, TeamClaimMapping
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "var" / "oidc"
SCRIPT = Path(__file__).with_name("provider.mjs")
CALLBACK = "http://testserver/accounts/oidc/callback/"

pytestmark = [pytest.mark.slow, pytest.mark.oidc]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "oidc-provider").exists():
        if os.environ.get("MESH_REQUIRE_SERVICES") == "1":
            pytest.fail("OIDC test cannot run: needs node and `make oidc-test-deps` (MESH_REQUIRE_SERVICES=1)")
        pytest.skip("needs node and oidc-provider: make oidc-test-deps")
    groups = tmp_path_factory.mktemp("oidc") / "groups.json"
    groups.write_text("{}")
    port = _free_port()
    env = {**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules")}
    # The script imports oidc-provider from var/oidc: ESM resolves packages next to the script, so run a copy there.
    script = NODE_DIR / "provider.mjs"
    shutil.copyfile(SCRIPT, script)
    process = subprocess.Popen(
        [node, str(script), str(port), CALLBACK, str(groups)],
        cwd=NODE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"the OpenID provider did not start: {process.stdout.read()}")
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    yield {"issuer": issuer, "groups": groups, "discovery": discovery}
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def oidc_settings(settings, provider):
    meta = provider["discovery"]
    settings.MESH_OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "products.teams.oidc.MeshOIDCBackend",
        "django.contrib.auth.backends.ModelBackend",
        "guardian.backends.ObjectPermissionBackend",
    ]
    settings.OIDC_RP_CLIENT_ID = "mesh-portal"
    settings.OIDC_RP_CLIENT_SECRET = "mesh-portal-secret"
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = meta["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = meta["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = meta["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = meta["jwks_uri"]
    return settings


def _set_groups(provider, login: str, groups: list[str]) -> None:
    data = json.loads(provider["groups"].read_text())
    data[login] = groups
    provider["groups"].write_text(json.dumps(data))


def sign_in(client, login: str):
    """Go through the provider's screens as a browser would; return the portal's answer to the callback."""
    start = client.get("/accounts/oidc/login/")
    assert start.status_code == 302, start
    browser = requests.Session()
    url = start["Location"]
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "/interaction/" in url:
            prompt = "login" if 'name="login"' in response.text else "consent"
            body = {"prompt": prompt, "login": login, "password": "any"} if prompt == "login" else {"prompt": "consent"}
            response = browser.post(url, data=body, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
        if url.startswith(CALLBACK):
            parsed = urlparse(url)
            return client.get(parsed.path + "?" + parsed.query)
    raise AssertionError("the provider never redirected back to the portal")


@pytest.mark.django_db
def test_sign_in_creates_the_user_and_maps_groups_to_teams(oidc_settings, provider, client, team, owner):
    other = factories.TeamFactory(slug="crm-analytics", domain=team.domain)
    TeamClaimMapping.objects.create(claim_value="crm-data-owners", team=team, role="owner")
    TeamClaimMapping.objects.create(claim_value="analytics", team=other, role="member")
    _set_groups(provider, "nadia", ["crm-data-owners", "analytics", "unmapped"])

    response = sign_in(client, "nadia")
    assert response.status_code == 302 and response["Location"] == "/"
    nadia = Membership.objects.get(team=team, user__username="nadia").user
    assert (nadia.email, nadia.first_name, nadia.has_usable_password()) == ("nadia@example.com", "Nadia", False)
    assert client.get("/").context["user"] == nadia
    roles = dict(Membership.objects.filter(user=nadia).values_list("team__slug", "role"))
    assert roles == {"customer-data": "owner", "crm-analytics": "member"}
    assert nadia.groups.filter(pk=team.group_id).exists()  # object permissions follow the membership
    assert AuditEvent.objects.filter(action="team.member_add", data__source="identity provider").count() == 2

    # The next sign-in follows the provider: a removed group removes the membership, a new role is applied.
    client.logout()
    TeamClaimMapping.objects.create(claim_value="analytics-leads", team=other, role="approver")
    _set_groups(provider, "nadia", ["analytics-leads"])
    assert sign_in(client, "nadia").status_code == 302
    roles = dict(Membership.objects.filter(user=nadia).values_list("team__slug", "role"))
    assert roles == {"crm-analytics": "approver"}
    assert not nadia.groups.filter(pk=team.group_id).exists()


@pytest.mark.django_db
def test_memberships_made_on_the_team_page_survive_a_sign_in(oidc_settings, provider, client, team, owner):
    from products.teams import services as team_services

    person = factories.UserFactory(username="paula")
    team_services.membership_add(actor=owner, team=team, user=person, role="approver")
    _set_groups(provider, "paula", [])
    assert sign_in(client, "paula").status_code == 302
    assert Membership.objects.get(team=team, user=person).role == "approver"


@pytest.mark.django_db
def test_local_passwords_off_leaves_the_provider_and_api_tokens(oidc_settings, provider, client, api_token_for):
    oidc_settings.AUTHENTICATION_BACKENDS = [
        b for b in oidc_settings.AUTHENTICATION_BACKENDS if b != "django.contrib.auth.backends.ModelBackend"
    ]
    oidc_settings.MESH_LOCAL_PASSWORDS = False
    user = factories.UserFactory(username="lena")
    sign_in(client, "lena")  # a local account with a password is not the provider's to sign in
    assert "_auth_user_id" not in client.session
    user.set_unusable_password()  # an account the provider made has no local password
    user.save()
    page = client.get("/accounts/login/")
    assert b'id="oidc-login"' in page.content and b'name="password"' not in page.content
    refused = client.post("/accounts/login/", {"username": "lena", "password": factories.PASSWORD})
    assert refused.status_code == 200 and not refused.context["user"].is_authenticated
    key = api_token_for(user)
    assert client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert sign_in(client, "lena").status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_accounts_follow_the_providers_subject_not_the_name_it_sends(oidc_settings, provider, client):
    assert sign_in(client, "nadia").status_code == 302
    nadia = IdentityProviderLink.objects.get(subject="nadia").user
    assert nadia.username == "nadia"
    client.logout()

    # Another person renames themselves "nadia" at the provider: they get no account, and never hers.
    _set_groups(provider, "mallory", {"groups": [], "preferred_username": "nadia"})
    sign_in(client, "mallory")
    assert "_auth_user_id" not in client.session
    assert not IdentityProviderLink.objects.filter(subject="mallory").exists()

    # Nadia renames herself: she still signs in as herself.
    _set_groups(provider, "nadia", {"groups": [], "preferred_username": "nadia.k"})
    assert sign_in(client, "nadia").status_code == 302
    assert client.session["_auth_user_id"] == str(nadia.pk)
    assert get_user_model().objects.filter(username__startswith="nadia").count() == 1
