from django.http import HttpResponseBadRequest, JsonResponse


class RefuseNulInQueryMiddleware:
    """A query string carrying a NUL character is refused with a 400: no database accepts it in a filter."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            message = "The query string may not contain the NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
