"""The portal's routes plus views that fail, for the error-page tests."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path

from portal.urls import handler403, handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns


def forbidden(request):
    raise PermissionDenied("Only the owning team edits this product.")


def missing(request):
    raise Http404("secret-internal-detail")


def broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("boom/403/", forbidden),
    path("boom/404/", missing),
    path("boom/500/", broken),
    path("api/v1/boom/500/", broken),
    *portal_urlpatterns,
]
