"""A ``next`` from the request never sends anyone off the site (``portal.redirects.safe_next`` and Django's own
login and logout views): protocol-relative, absolute and backslash forms all land on a local page."""

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE = ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example", "///evil.example"]


def assert_local(response, expected: str):
    assert response.status_code == 302
    location = response["Location"]
    assert location == expected
    assert "evil.example" not in location


@pytest.mark.parametrize("target", HOSTILE)
def test_marking_notifications_read_does_not_follow_a_foreign_next(client_for, owner, target):
    response = client_for(owner).post("/notifications/read/", {"next": target})
    assert_local(response, "/notifications/")


def test_marking_notifications_read_follows_a_local_next(client_for, owner):
    response = client_for(owner).post("/notifications/read/", {"next": "/notifications/?unread=1"})
    assert_local(response, "/notifications/?unread=1")


@pytest.mark.parametrize("target", HOSTILE)
def test_logging_in_does_not_follow_a_foreign_next(owner, target):
    response = Client().post(f"/accounts/login/?next={target}", {"username": owner.username, "password": PASSWORD})
    assert_local(response, "/")
    response = Client().post("/accounts/login/", {"username": owner.username, "password": PASSWORD, "next": target})
    assert_local(response, "/")


@pytest.mark.parametrize("target", HOSTILE)
def test_logging_out_does_not_follow_a_foreign_next(client_for, owner, target):
    response = client_for(owner).post("/accounts/logout/", {"next": target})
    assert_local(response, "/accounts/login/")
