"""The route × persona matrix (after Read the Docs' test_privacy_urls and pretix's API permission tests).

Each app has a module ``tests/route_cases/<app>.py`` with ``build(world)``, which adds the objects its URLs
need to ``world``, and ``CASES``, a list of ``Case``. ``tests/test_routes.py`` discovers every URL pattern and
fails when one has no case, then requests each case as every persona and checks the status code.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

PERSONAS = [
    "anonymous",
    "inactive",
    "analyst",
    "owner",
    "member",
    "other_owner",
    "council_member",
    "chair",
    "steward",
    "staff",
    "admin",
]

# What an unauthenticated (or deactivated) user gets: pages redirect to the login, the API answers 401.
LOGIN_REDIRECT = 302
API_UNAUTHENTICATED = 401


@dataclass
class Case:
    """One request to one route. ``expect`` maps persona → status; personas not listed get ``default``.

    ``anonymous`` and ``inactive`` default to a login redirect for pages and 401 for ``/api/`` paths.
    ``data`` is the POST/PATCH body (form-encoded for pages, JSON for the API).
    ``secret`` names text only ``secret_readers`` may receive: for every other persona the response bytes must not
    contain it (a draft's title in an export, another user's token name), whatever the status.
    """

    url_name: str
    path: Callable[[SimpleNamespace], str]
    default: int
    method: str = "get"
    expect: dict[str, int] = field(default_factory=dict)
    data: Callable[[SimpleNamespace], dict] | dict | None = None
    note: str = ""
    secret: Callable[[SimpleNamespace], str] | None = None
    secret_readers: tuple[str, ...] = ()

    def status_for(self, persona: str, path: str) -> int:
        if persona in self.expect:
            return self.expect[persona]
        if persona in ("anonymous", "inactive"):
            return API_UNAUTHENTICATED if path.startswith("/api/") else LOGIN_REDIRECT
        return self.default

    def body(self, world: SimpleNamespace) -> dict | None:
        return self.data(world) if callable(self.data) else self.data


def everyone(status: int = 200, **overrides: int) -> dict[str, int]:
    """An ``expect`` dict for all signed-in personas, with overrides."""
    signed_in = [p for p in PERSONAS if p not in ("anonymous", "inactive")]
    return {**dict.fromkeys(signed_in, status), **overrides}
