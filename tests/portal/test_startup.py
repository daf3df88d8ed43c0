"""A web or worker process freezes what it loaded at start, so full collections walk only what requests create."""

import gc

from portal.startup import startup_objects_freeze


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
