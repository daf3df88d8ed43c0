"""django-axes locks out the right address: the client's own, taken from X-Forwarded-For only when
``MESH_PROXY_COUNT`` says proxies are in front, and then counted from the right, so that what a client writes into
the header changes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"
CLIENT, NEIGHBOUR = "81.2.69.160", "81.2.69.161"


def _settings_with(proxy_count: str | None) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "MESH_PROXY_COUNT"}
    if proxy_count is not None:
        env["MESH_PROXY_COUNT"] = proxy_count
    code = (
        "import json; from portal import settings as s; print(json.dumps([s.AXES_IPWARE_META_PRECEDENCE_ORDER, "
        "s.AXES_IPWARE_PROXY_COUNT, s.IPWARE_STRICT]))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_proxy_count_comes_from_the_environment():
    assert _settings_with(None) == [["REMOTE_ADDR"], None, False]
    assert _settings_with("0") == [["REMOTE_ADDR"], None, False]
    assert _settings_with("1") == [["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"], 0, False]
    assert _settings_with("2") == [["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"], 1, False]


def _fail(username: str, **meta):
    return Client().post("/accounts/login/", {"username": username, "password": "wrong"}, **meta)


def _log_in(username: str, **meta):
    return Client().post("/accounts/login/", {"username": username, "password": PASSWORD}, **meta)


def test_without_proxies_a_forged_forwarded_for_does_not_evade_the_lockout(owner):
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ["REMOTE_ADDR"]  # the default: MESH_PROXY_COUNT unset
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _fail(owner.username, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
    response = _log_in(owner.username, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    assert _log_in(owner.username, REMOTE_ADDR=NEIGHBOUR).status_code == 302  # another address is not locked


@pytest.fixture
def behind_one_proxy(settings):
    """What MESH_PROXY_COUNT=1 sets (see test_proxy_count_comes_from_the_environment)."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False


def test_behind_a_proxy_the_forwarded_client_is_locked_out_not_the_proxy(owner, behind_one_proxy):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(owner.username, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    assert _log_in(owner.username, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT).status_code == 429
    # Another client through the same proxy still logs in.
    assert _log_in(owner.username, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEIGHBOUR).status_code == 302


def test_behind_a_proxy_what_the_client_writes_into_the_header_changes_nothing(owner, behind_one_proxy):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The client sends "X-Forwarded-For: <anything>"; the proxy appends the address it saw.
        _fail(owner.username, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, {CLIENT}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    response = _log_in(owner.username, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.9, {CLIENT}")
    assert response.status_code == 429
