"""Steward appointments. ``owner`` owns a CRM team, so appoints and removes CRM stewards (``steward`` is one);
``other_owner`` owns a Sales team and may not touch CRM's; admins appoint anywhere; everyone reads the list."""

from glossary.models import Steward
from tests.route_cases.base import Case

APPOINTERS_REDIRECT = {"owner": 302, "admin": 302}


def _crm_steward(w) -> Steward:
    return Steward.objects.get(user=w.users["steward"], domain=w.team.domain)


CASES = [
    Case("glossary:steward-list", lambda w: "/glossary/stewards/", 200),
    Case(
        "glossary:steward-appoint",
        lambda w: "/glossary/stewards/appoint/",
        403,
        method="post",
        data=lambda w: {"username": "analyst", "domain": w.team.domain.slug},
        expect={**APPOINTERS_REDIRECT, "other_owner": 200},
        note="CRM (not a choice for Sales' owner: form error)",
    ),
    Case(
        "glossary:steward-remove",
        lambda w: f"/glossary/stewards/{_crm_steward(w).pk}/remove/",
        403,
        method="post",
        expect=APPOINTERS_REDIRECT,
    ),
    Case("glossary:steward-remove", lambda w: "/glossary/stewards/999999/remove/", 404, method="post", note="unknown"),
    Case("glossary-steward-list", lambda w: "/api/v1/glossary/stewards/", 200),
    Case(
        "glossary-steward-list",
        lambda w: "/api/v1/glossary/stewards/",
        403,
        method="post",
        data=lambda w: {"username": "analyst", "domain": w.team.domain.slug},
        expect={"owner": 201, "admin": 201},
    ),
    Case(
        "glossary-steward-list",
        lambda w: "/api/v1/glossary/stewards/",
        403,
        method="post",
        data={"username": "analyst", "domain": None},
        expect={"admin": 201},
        note="enterprise-wide",
    ),
    Case("glossary-steward-detail", lambda w: f"/api/v1/glossary/stewards/{_crm_steward(w).pk}/", 200),
    Case(
        "glossary-steward-detail",
        lambda w: f"/api/v1/glossary/stewards/{_crm_steward(w).pk}/",
        403,
        method="delete",
        expect={"owner": 204, "admin": 204},
    ),
]
