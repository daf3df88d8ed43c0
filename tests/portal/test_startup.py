"""A web or worker process freezes what it loaded at start, so full collections walk only what requests create; a
web process runs them between requests."""

import gc

import pytest
from django.core.signals import request_finished

from portal import startup
from portal.startup import full_collections_between_requests, startup_objects_freeze


def test_startup_moves_the_loaded_objects_out_of_the_collectors_reach():
    gc.unfreeze()
    try:
        startup_objects_freeze()
        assert gc.get_freeze_count() > 10_000  # Django, the apps and the URL resolver
    finally:
        gc.unfreeze()


def test_every_entry_point_freezes_at_start():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "portal"
    for entry_point in ("wsgi.py", "asgi.py", "celery.py"):
        assert "startup_objects_freeze()" in (root / entry_point).read_text(), entry_point
    for entry_point in ("wsgi.py", "asgi.py"):
        assert "full_collections_between_requests()" in (root / entry_point).read_text(), entry_point


@pytest.mark.django_db
def test_a_full_collection_waits_for_the_end_of_a_request_once_it_is_due(client):
    thresholds = gc.get_threshold()
    try:
        full_collections_between_requests()
        assert gc.get_threshold()[2] == startup.FULL_COLLECTION_WITHIN_A_REQUEST_AFTER
        gc.collect()
        full_passes = gc.get_stats()[2]["collections"]
        request_finished.send(sender=None)  # nothing due yet: no pass
        assert gc.get_stats()[2]["collections"] == full_passes
        while gc.get_count()[2] < startup.FULL_COLLECTION_AFTER:
            gc.collect(1)
        client.get("/healthz")
        assert gc.get_stats()[2]["collections"] == full_passes + 1
        assert gc.get_count()[2] == 0
    finally:
        request_finished.disconnect(dispatch_uid="portal.startup.collect_if_due")
        gc.set_threshold(*thresholds)
