import re

from django.http import Http404, HttpResponseBadRequest, JsonResponse

# C0 and C1 control characters and DEL: no route, slug, code or id of the portal holds one.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class RefuseControlCharactersMiddleware:
    """A path carrying a control character (``/products/%00/``) is a 404 before any view looks it up, and a query
    string carrying a NUL character is a 400: no database accepts one in a lookup or a filter (PostgreSQL answers
    with an error, hence a 500 without this)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if CONTROL_CHARACTERS.search(request.path_info):
            raise Http404("No page at this address.")
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            message = "The query string may not contain the NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
