"""Council seat management. The ``chair`` (and admins) assign, vacate and delegate the CRM seat held by
``council_member``; nobody else may (403), whatever seat they hold. The chair's own seat is admin business."""

from datetime import timedelta

from django.utils import timezone

from governance.models import Seat
from tests.route_cases.base import Case

CHAIR_REDIRECT = {"chair": 302, "admin": 302}
CHAIR_OK = {"chair": 200, "admin": 200}


def _seat(w):
    return Seat.objects.get(council=w.council, domain=w.team.domain)


def _until(w):
    return (timezone.localdate() + timedelta(days=7)).isoformat()


CASES = [
    Case(
        "governance:seat-assign",
        lambda w: f"/governance/seats/{_seat(w).pk}/assign/",
        403,
        method="post",
        data={"username": "steward"},
        expect=CHAIR_REDIRECT,
    ),
    Case(
        "governance:seat-vacate",
        lambda w: f"/governance/seats/{_seat(w).pk}/vacate/",
        403,
        method="post",
        expect=CHAIR_REDIRECT,
    ),
    Case(
        "governance:seat-delegate",
        lambda w: f"/governance/seats/{_seat(w).pk}/delegate/",
        403,
        method="post",
        data=lambda w: {"username": "steward", "until": _until(w)},
        expect=CHAIR_REDIRECT,
    ),
    Case(
        "governance:seat-delegation-end",
        lambda w: f"/governance/seats/{_seat(w).pk}/delegate/end/",
        403,
        method="post",
        expect=CHAIR_REDIRECT,
        note="nobody stands in: a message",
    ),
    Case(
        "governance:seat-assign",
        lambda w: "/governance/seats/999999/assign/",
        404,
        method="post",
        data={"username": "steward"},
        note="unknown seat",
    ),
    Case(
        "seat-assign",
        lambda w: f"/api/v1/seats/{_seat(w).pk}/assign/",
        403,
        method="post",
        data={"username": "steward"},
        expect=CHAIR_OK,
    ),
    Case(
        "seat-assign",
        lambda w: f"/api/v1/seats/{w.gov_seat.pk}/assign/",
        403,
        method="post",
        data={"username": "steward"},
        expect={"chair": 400, "admin": 400},
        note="the chair's seat",
    ),
    Case("seat-vacate", lambda w: f"/api/v1/seats/{_seat(w).pk}/vacate/", 403, method="post", expect=CHAIR_OK),
    Case(
        "seat-delegate",
        lambda w: f"/api/v1/seats/{_seat(w).pk}/delegate/",
        403,
        method="post",
        data=lambda w: {"username": "steward", "until": _until(w)},
        expect=CHAIR_OK,
    ),
    Case(
        "seat-end-delegation",
        lambda w: f"/api/v1/seats/{_seat(w).pk}/end-delegation/",
        403,
        method="post",
        expect={"chair": 400, "admin": 400},
        note="nobody stands in",
    ),
]
