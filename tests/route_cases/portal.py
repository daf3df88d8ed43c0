from portal.services import api_token_create
from tests.route_cases.base import Case, everyone


def build(world) -> None:
    world.api_token, _key = api_token_create(user=world.users["owner"], name="nightly", expires_in_days=None)


def _own_token_only(status: int) -> dict[str, int]:
    """The owner's token: its owner gets ``status``, everyone else 404 (staff and admins included)."""
    return everyone(404, owner=status)


CASES = [
    Case("home", lambda w: "/", 200),
    Case("healthz", lambda w: "/healthz", 200, expect={"anonymous": 200, "inactive": 200}, note="public liveness"),
    Case("favicon", lambda w: "/favicon.ico", 200, expect={"anonymous": 200, "inactive": 200}, note="public icon"),
    Case("readyz", lambda w: "/readyz", 200, expect={"anonymous": 200, "inactive": 200}, note="public readiness"),
    Case(
        "login",
        lambda w: "/accounts/login/",
        302,
        expect={"anonymous": 200, "inactive": 200},
        note="signed-in users are sent on",
    ),
    Case("logout", lambda w: "/accounts/logout/", 302, method="post", expect={"anonymous": 302, "inactive": 302}),
    Case("search", lambda w: "/search/?q=customer", 200),
    Case("api-token-page", lambda w: "/accounts/token/", 200),
    Case(
        "api-token-page",
        lambda w: "/accounts/token/",
        200,
        method="post",
        data={"name": "ci", "expires_in_days": "90"},
        note="create: the key is shown once",
    ),
    Case(
        "api-token-revoke",
        lambda w: f"/accounts/token/{w.api_token.pk}/revoke/",
        404,
        method="post",
        expect=_own_token_only(302),
        note="only one's own",
    ),
    Case("inbox", lambda w: "/notifications/", 200),
    Case("inbox-read", lambda w: "/notifications/read/", 302, method="post"),
    Case(
        "admin:index",
        lambda w: "/admin/",
        302,
        expect={"staff": 200, "admin": 200, "anonymous": 302, "inactive": 302},
    ),
    Case(
        "api-token",
        lambda w: "/api/v1/auth/token/",
        401,
        method="post",
        data={"username": "owner", "password": "wrong"},
        expect={"anonymous": 401, "inactive": 401},
        note="wrong password",
    ),
    Case("apitoken-list", lambda w: "/api/v1/tokens/", 200, note="one's own"),
    Case("apitoken-list", lambda w: "/api/v1/tokens/", 201, method="post", data={"name": "ci"}, note="create"),
    Case("apitoken-detail", lambda w: f"/api/v1/tokens/{w.api_token.pk}/", 404, expect=_own_token_only(200)),
    Case(
        "apitoken-detail",
        lambda w: f"/api/v1/tokens/{w.api_token.pk}/",
        404,
        method="delete",
        expect=_own_token_only(204),
        note="revoke",
    ),
    Case("api-schema", lambda w: "/api/v1/schema/", 200),
    Case("api-docs", lambda w: "/api/v1/docs/", 200),
    Case("api-redoc", lambda w: "/api/v1/redoc/", 200),
    Case("api-root", lambda w: "/api/v1/", 200),
    Case("notification-list", lambda w: "/api/v1/notifications/", 200),
    Case("notification-detail", lambda w: "/api/v1/notifications/999999/", 404, note="never another's"),
    Case("notification-read-all", lambda w: "/api/v1/notifications/read_all/", 200, method="post"),
]

__all__ = ["CASES", "everyone"]
