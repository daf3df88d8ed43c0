from tests.route_cases.base import Case, everyone

CASES = [
    Case("home", lambda w: "/", 200),
    Case("healthz", lambda w: "/healthz", 200, expect={"anonymous": 200, "inactive": 200}, note="public liveness"),
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
    Case("api-token-page", lambda w: "/accounts/token/", 302, method="post", note="replace token"),
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
        400,
        method="post",
        data={"username": "owner", "password": "wrong"},
        expect={"anonymous": 400, "inactive": 400},
        note="wrong password",
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
