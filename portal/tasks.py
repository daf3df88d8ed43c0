import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone

from portal.models import Notification
from portal.services import email_subject, job

logger = logging.getLogger(__name__)

EMAIL_MAX_ATTEMPTS = 5
# The mail server itself is unreachable: every e-mail would fail alike, so the batch stops and the job retries.
MAIL_SERVER_ERRORS = (
    OSError,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPAuthenticationError,
)


@job("portal.tasks.notification_emails_send")
def notification_emails_send(recipient_ids: list[int] | None = None, batch_size: int = 200) -> int:
    """E-mail notifications not yet e-mailed (after commit for new ones, and every minute for whatever is left).

    Each row is claimed with a conditional UPDATE before sending, so two workers never send the same e-mail, and
    released on any failure, so nothing is marked sent that was not. A failure of one e-mail (an address refused)
    skips that one and the batch goes on; it is tried again, at most ``EMAIL_MAX_ATTEMPTS`` times, then kept with
    its error. A mail server that is down stops the batch, releases the row and raises, for the retry policy."""
    pending = Notification.objects.filter(
        email_wanted=True, emailed_at=None, email_attempts__lt=EMAIL_MAX_ATTEMPTS
    ).select_related("recipient")
    if recipient_ids:
        pending = pending.filter(recipient_id__in=recipient_ids)
    sent = 0
    for note in pending.order_by("created_at")[:batch_size]:
        claimed_at = timezone.now()
        if not Notification.objects.filter(pk=note.pk, emailed_at=None).update(
            emailed_at=claimed_at, email_attempts=F("email_attempts") + 1
        ):
            continue
        mine = Notification.objects.filter(Q(pk=note.pk) & Q(emailed_at=claimed_at))
        if not note.recipient.email:
            mine.update(email_error="The recipient has no e-mail address.")
            continue
        try:
            send_mail(
                subject=email_subject(note.title),
                message=f"{note.body}\n\n{note.url}".strip(),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[note.recipient.email],
            )
        except MAIL_SERVER_ERRORS:
            mine.update(emailed_at=None, email_attempts=F("email_attempts") - 1)
            raise
        except Exception as error:  # this e-mail only: release it, note why, send the others
            logger.warning("e-mail of notification %s failed: %s", note.pk, error)
            given_up = note.email_attempts + 1 >= EMAIL_MAX_ATTEMPTS
            mine.update(emailed_at=None, email_error=f"{type(error).__name__}: {error}"[:300])
            if given_up:
                logger.error("giving up e-mailing notification %s after %s attempts", note.pk, EMAIL_MAX_ATTEMPTS)
            continue
        sent += 1
    return sent
