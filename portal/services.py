"""Cross-cutting writes: the audit trail, the inbox, personal API tokens, publishing Celery tasks after commit, and
the one retry policy every job shares."""

import logging
import re
import time
from collections.abc import Iterable
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, InterfaceError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from portal import permissions
from portal.errors import DomainError, require
from portal.models import ApiToken, AuditEvent, Notification

logger = logging.getLogger(__name__)
CONTROL_OR_SPACE = re.compile(r"[\x00-\x1f\x7f-\x9f\s]+")


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


# After a publish fails, the broker is left alone for a few seconds: a request that would publish several jobs
# while the broker is down or hung waits for one short timeout, not one per job.
_broker_resting_until = 0.0


def broker_rest_reset() -> None:
    global _broker_resting_until
    _broker_resting_until = 0.0


def task_publish(task, *args, **kwargs) -> bool:
    """Publish ``task`` now, waiting for the broker no longer than its short connect and socket timeouts (settings
    ``CELERY_BROKER_*``), without retrying. Returns False when the broker did not take it: the job's sweep or outbox
    (every job family has one) publishes it again later, so a broker outage delays work but never a response."""
    global _broker_resting_until
    if time.monotonic() < _broker_resting_until:
        logger.warning("broker resting after a failure: %s left for its sweep", task.name)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:
        if task.app.conf.task_always_eager:  # eager mode ran the task here: the failure is the task's own
            logger.exception("%s failed when run at once; its sweep will run it again", task.name)
            return False
        _broker_resting_until = time.monotonic() + settings.MESH_BROKER_REST_SECONDS
        logger.warning("could not publish %s; its sweep will send it", task.name, exc_info=True)
        return False
    return True


def task_enqueue_on_commit(task, *args, **kwargs) -> None:
    """Publish ``task`` once the current transaction commits; nothing is sent if it rolls back.

    A broker that is down or hung must not turn a finished request into an error or a wait: ``task_publish`` gives
    up after its short timeouts, and the work is picked up by the periodic sweep that every job family has (the
    database row is the outbox).
    """
    transaction.on_commit(lambda: task_publish(task, *args, **kwargs))


def single_line(text: str, limit: int = 200) -> str:
    """``text`` on one line: every run of whitespace and control characters (a newline in a database error, a tab
    in a name) becomes one space, and it is cut to ``limit`` characters."""
    return " ".join(CONTROL_OR_SPACE.sub(" ", text or "").split())[:limit]


def email_subject(title: str) -> str:
    """An e-mail subject is one line by construction, whatever the notification's title holds."""
    return single_line(f"[Mesh Portal] {title}", 250)


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
            title=single_line(title),
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


# How long a new API token lives, in days (None: until revoked). Pages and API offer the same choices.
API_TOKEN_LIFETIMES = {30: "30 days", 90: "90 days", 365: "1 year", None: "never expires"}
API_TOKEN_DEFAULT_LIFETIME = 90
API_TOKEN_LAST_USED_PRECISION = timedelta(minutes=1)


def api_token_create(*, user, name: str, expires_in_days: int | None, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new personal API token for ``user``; returns (the row, the key). A ``read_only`` token reads only: the API
    refuses its writing calls and the MCP server hides its writing tools.

    Only the key's digest is stored: the caller shows the key once and never again. A user holds at most
    ``MESH_API_TOKENS_PER_USER`` live tokens, so a pipeline that asks for a token on each run cannot pile them up.
    """
    require(permissions.is_signed_in(user), "Sign in to make an API token.")
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the token a name (e.g. the pipeline or agent that uses it).", field="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise DomainError("Keep the name under 100 characters.", field="name")
    if expires_in_days not in API_TOKEN_LIFETIMES:
        raise DomainError("Choose 30, 90 or 365 days, or no expiry.", field="expires_in_days")
    with transaction.atomic():
        # One creation at a time per user, so that two concurrent requests cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        live = ApiToken.objects.filter(user=user).filter(Q(expiry=None) | Q(expiry__gt=timezone.now()))
        if live.count() >= settings.MESH_API_TOKENS_PER_USER:
            raise DomainError(
                f"You already have {settings.MESH_API_TOKENS_PER_USER} API tokens; revoke one you no longer use.",
                field="name",
            )
        lifetime = None if expires_in_days is None else timedelta(days=expires_in_days)
        token, key = ApiToken.objects.create(user=user, expiry=lifetime, name=name, read_only=bool(read_only))
        audit_record(
            actor=user,
            action="api_token.create",
            target=token,
            data={"token": token.token_key, "expires_in_days": expires_in_days, "read_only": token.read_only},
        )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> None:
    """Revoke ``token`` (its owner, or staff in the admin): the row is deleted, so the next call with it gets 401.
    Revoking a token that is already gone does nothing."""
    require(permissions.can_revoke_api_token(actor, token), "Only the token's owner or an administrator does this.")
    if ApiToken.objects.filter(pk=token.pk).delete()[0]:
        audit_record(
            actor=actor,
            action="api_token.revoke",
            target=token,
            data={"token": token.token_key, "owner": token.user_id},
        )


def api_token_touch(token: ApiToken) -> None:
    """Record that ``token`` was just used; at most one write a minute per token, not one per request."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= API_TOKEN_LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
