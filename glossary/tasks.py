"""Thin Celery tasks for the glossary: safe to run twice, retried with backoff."""

from celery import shared_task
from django.db import DatabaseError

from glossary import services


@shared_task(
    bind=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def conflicts_detect(self) -> dict:
    """Find glossary conflicts (hourly, via django-celery-beat). Idempotent: one finding per key."""
    return services.conflicts_detect()
