"""Team routes. Every signed-in user sees teams and their members; only the team's ``owner`` (and admins) change
them; ``member`` may not. A product is handed over by an owner of its team (or an admin) to ``crm-analytics``, the
other team of its domain."""

from tests import factories
from tests.route_cases.base import PERSONAS, Case

MANAGERS_REDIRECT = {"owner": 302, "admin": 302}
NOBODY = dict.fromkeys(PERSONAS, 404)  # sign-in through an identity provider is off unless configured


def build(world) -> None:
    world.sibling_team = factories.TeamFactory(slug="crm-analytics", name="CRM Analytics", domain=world.team.domain)


def _team(w, suffix: str = "") -> str:
    return f"/products/teams/{w.team.slug}/{suffix}"


def _api(w, suffix: str = "") -> str:
    return f"/api/v1/teams/{w.team.slug}/{suffix}"


CASES = [
    Case("products:team-list", lambda w: "/products/teams/", 200),
    Case("products:team-detail", lambda w: _team(w), 200),
    Case("products:team-detail", lambda w: "/products/teams/no-such-team/", 404, note="unknown"),
    Case(
        "products:team-member-add",
        lambda w: _team(w, "members/"),
        403,
        method="post",
        data={"username": "analyst", "role": "member"},
        expect=MANAGERS_REDIRECT,
    ),
    Case(
        "products:team-member-add",
        lambda w: _team(w, "members/"),
        403,
        method="post",
        data={"username": "nobody-here", "role": "member"},
        expect={"owner": 200, "admin": 200},
        note="unknown person: form error",
    ),
    Case(
        "products:team-member-role",
        lambda w: _team(w, f"members/{w.users['member'].pk}/role/"),
        403,
        method="post",
        data={"role": "approver"},
        expect=MANAGERS_REDIRECT,
    ),
    Case(
        "products:team-member-role",
        lambda w: _team(w, f"members/{w.users['analyst'].pk}/role/"),
        403,
        method="post",
        data={"role": "approver"},
        expect={"owner": 404, "admin": 404},
        note="not a member",
    ),
    Case(
        "products:team-member-remove",
        lambda w: _team(w, f"members/{w.users['member'].pk}/remove/"),
        403,
        method="post",
        expect=MANAGERS_REDIRECT,
    ),
    Case(
        "products:product-transfer",
        lambda w: f"/products/{w.product.domain.slug}/{w.product.slug}/transfer/",
        403,
        expect={"owner": 200, "admin": 200},
    ),
    Case(
        "products:product-transfer",
        lambda w: f"/products/{w.draft.domain.slug}/{w.draft.slug}/transfer/",
        404,
        expect={"owner": 200, "admin": 200, "member": 403},
        note="draft",
    ),
    Case(
        "products:product-transfer",
        lambda w: f"/products/{w.product.domain.slug}/{w.product.slug}/transfer/",
        403,
        method="post",
        data=lambda w: {"team": w.sibling_team.slug},
        expect=MANAGERS_REDIRECT,
    ),
    # API
    Case(
        "team-members",
        lambda w: _api(w, "members/"),
        403,
        method="post",
        data={"username": "analyst", "role": "approver"},
        expect={"owner": 201, "admin": 201},
    ),
    Case(
        "team-members",
        lambda w: "/api/v1/teams/no-such-team/members/",
        404,
        method="post",
        data={"username": "analyst"},
        note="unknown team",
    ),
    Case(
        "team-member",
        lambda w: _api(w, "members/member/"),
        403,
        method="patch",
        data={"role": "approver"},
        expect={"owner": 200, "admin": 200},
    ),
    Case(
        "team-member",
        lambda w: _api(w, "members/member/"),
        403,
        method="delete",
        expect={"owner": 204, "admin": 204},
    ),
    Case(
        "team-member",
        lambda w: _api(w, "members/owner/"),
        403,
        method="delete",
        expect={"owner": 400, "admin": 400},
        note="last owner",
    ),
    Case(
        "product-transfer",
        lambda w: f"/api/v1/products/{w.product.pk}/transfer/",
        403,
        method="post",
        data=lambda w: {"team": w.sibling_team.slug},
        expect={"owner": 200, "admin": 200},
    ),
    Case(
        "product-transfer",
        lambda w: f"/api/v1/products/{w.draft.pk}/transfer/",
        404,
        method="post",
        data=lambda w: {"team": w.sibling_team.slug},
        expect={"owner": 200, "admin": 200, "member": 403},
        note="draft",
    ),
    Case("oidc-login", lambda w: "/accounts/oidc/login/", 404, expect=NOBODY, note="OIDC off"),
    Case(
        "oidc_authentication_callback",
        lambda w: "/accounts/oidc/callback/?code=x&state=y",
        404,
        expect=NOBODY,
        note="OIDC off",
    ),
]
