import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from portal.models import Notification
from portal.services import job

logger = logging.getLogger(__name__)


@job("portal.tasks.notification_emails_send", bind=True)
def notification_emails_send(self, recipient_ids: list[int] | None = None, batch_size: int = 200) -> int:
    """Email notifications not yet emailed. Each row is claimed with a conditional UPDATE before sending, so two
    workers never send the same email; a failed send releases the claim and the task retries with backoff."""
    pending = Notification.objects.filter(email_wanted=True, emailed_at=None).select_related("recipient")
    if recipient_ids:
        pending = pending.filter(recipient_id__in=recipient_ids)
    sent = 0
    for note in pending.order_by("created_at")[:batch_size]:
        claimed_at = timezone.now()
        if not Notification.objects.filter(pk=note.pk, emailed_at=None).update(emailed_at=claimed_at):
            continue
        if not note.recipient.email:
            continue
        try:
            send_mail(
                subject=f"[Mesh Portal] {note.title}",
                message=f"{note.body}\n\n{note.url}".strip(),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[note.recipient.email],
            )
        except OSError:
            Notification.objects.filter(Q(pk=note.pk) & Q(emailed_at=claimed_at)).update(emailed_at=None)
            raise
        sent += 1
    return sent
