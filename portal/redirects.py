"""Where to send someone back to after a POST: a ``next`` taken from the request is followed only when it stays
on this site (``//evil.example``, ``https://evil.example`` and ``/\\evil.example`` do not); anything else falls back."""

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str, *, field: str = "next") -> str:
    """The request's ``next`` (POST first, then the query string) if it points at this site, else ``fallback``
    (a URL or a URL name)."""
    candidate = request.POST.get(field) or request.GET.get(field) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(fallback)
