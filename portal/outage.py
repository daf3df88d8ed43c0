"""While the database is unreachable (down, restarting, failing over) pages answer 503 with ``Retry-After`` in the
site layout and the API answers JSON 503, never a 500; the next request after it returns reconnects by itself
(``CONN_HEALTH_CHECKS``: Django drops a broken persistent connection before reusing it).

Two doors lead here: ``DatabaseUnavailableMiddleware`` catches an error raised by a view or while rendering its
template, and ``portal.views.server_error`` (``handler500``) catches one raised by a middleware (a session saved
after the view). The 503 page renders without the request's context processors, so it needs no database itself.
"""

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 10
MESSAGE = "The portal's database is unavailable for a moment. Nothing you sent was half-written; try again shortly."

# Errors of the connection rather than of the statement: the server is gone, restarting or not accepting us.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def is_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, UNAVAILABLE_ERRORS)


def unavailable_response(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE, "retry_after": RETRY_AFTER_SECONDS}, status=503)
    else:
        body = render_to_string("503.html", {"message": MESSAGE, "retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_unavailable(exception):
            return unavailable_response(request)
        return None
