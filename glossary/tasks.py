"""Thin Celery tasks for the glossary: safe to run twice, under the portal's one retry policy."""

from glossary import conflicts
from portal.services import job


@job("glossary.tasks.conflicts_detect")
def conflicts_detect() -> dict:
    """Find glossary conflicts (hourly, via django-celery-beat). Idempotent: one finding per key."""
    return conflicts.conflicts_detect()
