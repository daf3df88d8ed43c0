"""Cross-cutting writes: the audit trail, the inbox, publishing Celery tasks after commit, and the one retry
policy every job shares."""

import logging
from collections.abc import Iterable

from celery import shared_task
from django.db import DatabaseError, InterfaceError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from portal.models import AuditEvent, Notification

logger = logging.getLogger(__name__)


def audit_record(
    *,
    actor,
    action: str,
    target,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Write one audit row for ``target`` (any model instance)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )


# Database and broker blips (a restart, a failover, a dropped connection) are retried with exponential backoff and
# jitter; everything else is a bug and fails at once. Every task is idempotent, so a retry changes nothing twice.
TASK_RETRY_POLICY = {
    "autoretry_for": (DatabaseError, InterfaceError, BrokerError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


def job(name: str, **options):
    """Register a Celery task under a stable ``name`` (beat rows and migrations refer to it) with the retry policy."""
    return shared_task(name=name, **{**TASK_RETRY_POLICY, **options})


def task_enqueue_on_commit(task, *args, **kwargs) -> None:
    """Publish ``task`` once the current transaction commits; nothing is sent if it rolls back.

    A broker that is down must not turn a finished request into an error: the failure is logged, and the work
    is picked up again by the periodic sweep that every job family has (the database row is the outbox).
    """

    def publish() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=True)
        except Exception:  # the broker is unreachable: the sweep will catch up
            logger.exception("could not publish %s; the periodic sweep will run it", task.name)

    transaction.on_commit(publish)


def notify(
    recipients: Iterable,
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
    email: bool = True,
) -> int:
    """Put a notification in each recipient's inbox and queue its email. Returns how many were new.

    With a ``dedupe_key``, a recipient who already has that key gets nothing: callers that run every hour
    (enforcement, reminders) can call this each time and a person still hears of a thing once.
    """
    recipient_ids = {user.pk if hasattr(user, "pk") else int(user) for user in recipients}
    if not recipient_ids:
        return 0
    if dedupe_key:
        already = set(
            Notification.objects.filter(recipient_id__in=recipient_ids, dedupe_key=dedupe_key).values_list(
                "recipient_id", flat=True
            )
        )
        recipient_ids -= already
    rows = [
        Notification(
            recipient_id=user_id,
            kind=kind,
            title=title[:200],
            body=body,
            url=url,
            dedupe_key=dedupe_key,
            email_wanted=email,
        )
        for user_id in sorted(recipient_ids)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if rows and email:
        from portal.tasks import notification_emails_send

        task_enqueue_on_commit(notification_emails_send, sorted(recipient_ids))
    return len(rows)


def notification_mark_read(*, user, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at=None)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
