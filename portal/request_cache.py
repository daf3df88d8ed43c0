"""Answers computed once per request: a permission, a user's seats, a product's ports.

A page asks "may this user edit this product" from the view, from each panel's template tag and from their
selectors; each answer costs queries. ``memo`` keeps the first answer for the rest of the request (and only the
request: a revoke bites on the very next one). Outside a request (tasks, shell, services called directly) nothing
is kept. Any write through the ORM during the request forgets everything, so a page never renders a permission
or a row list from before its own change.
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

_cache: ContextVar[dict | None] = ContextVar("mesh_request_cache", default=None)


def memo(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, once per request for ``key``."""
    cache = _cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def remember(key: tuple, value) -> None:
    """Store an answer computed elsewhere (e.g. read with the row it is about) for the rest of the request."""
    cache = _cache.get()
    if cache is not None:
        cache[key] = value


def forget(**kwargs) -> None:
    cache = _cache.get()
    if cache:
        cache.clear()


class RequestCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _cache.set({})
        try:
            return self.get_response(request)
        finally:
            _cache.reset(token)


def forget_on_delete_of(*models) -> None:
    """Deletions of these models forget the request's answers too. (Listening to every model's deletions would
    turn Django's fast bulk deletes into row-by-row ones, so apps name the models their answers depend on.)"""
    for model in models:
        post_delete.connect(forget, sender=model, dispatch_uid=f"request_cache_delete_{model._meta.label}")


post_save.connect(forget, dispatch_uid="request_cache_post_save")
m2m_changed.connect(forget, dispatch_uid="request_cache_m2m_changed")
