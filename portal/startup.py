"""What a web or worker process does once it has loaded Django, before its first request or task."""

import gc

from django.core.signals import request_finished

# A web process runs its full collections between requests, once this many young collections have promoted objects
# since the last one (the interpreter's own default), and by itself only if a single request runs this many.
FULL_COLLECTION_AFTER = 10
FULL_COLLECTION_WITHIN_A_REQUEST_AFTER = 100


def startup_objects_freeze() -> None:
    """Load the URL configuration, then move everything loaded so far (Django, the apps, the URL resolver) out of
    the garbage collector's reach: a full collection then walks only what requests and tasks create (at 10k products
    the API list's periodic requests of about 200 ms take under 100), and forked processes keep sharing those pages
    instead of copying them when the collector touches them."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's views and URLs now
    gc.freeze()


def _collect_if_due(**kwargs) -> None:
    if gc.get_count()[2] >= FULL_COLLECTION_AFTER:
        gc.collect()


def full_collections_between_requests() -> None:
    """Run the collector's full pass after a response has gone out rather than in the middle of the next one.

    A request's objects live for the whole request, so the young collections it triggers promote them, and the
    cycles Django leaves (a prefetched row and its parent, a template context) wait for a full pass: at 10k products
    that pass takes about 25 ms and lands on one API list in ten. ``request_finished`` is sent once the response is
    closed, after its body is written, so the pass costs the worker the same time but no reader waits on it (the
    out-of-band collection of Unicorn's ``OobGC``). A single long request still gets its full passes, later."""
    threshold0, threshold1, _threshold2 = gc.get_threshold()
    gc.set_threshold(threshold0, threshold1, FULL_COLLECTION_WITHIN_A_REQUEST_AFTER)
    request_finished.connect(_collect_if_due, dispatch_uid="portal.startup.collect_if_due")
