"""Council jobs. Thin: they take ids, call a service, and are safe to run twice (or twice at once)."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from governance import services
from governance.models import Proposal, Standard

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(**RETRY)
def proposal_close(proposal_id: int) -> str:
    """Close one due proposal (the service leaves a closed or not-yet-due proposal as it is)."""
    try:
        return services.proposal_close(proposal_id).status
    except Proposal.DoesNotExist:
        return "missing"


@shared_task(**RETRY)
def proposals_close_due() -> int:
    """Beat job: fan out one ``proposal_close`` per open proposal past its deadline. Returns how many were sent."""
    due = list(
        Proposal.objects.filter(status=Proposal.Status.OPEN, deadline__lte=timezone.now())
        .order_by("deadline")
        .values_list("pk", flat=True)
    )
    for proposal_id in due:
        proposal_close.delay(proposal_id)
    return len(due)


@shared_task(**RETRY)
def vote_reminders_send() -> int:
    """Beat job: remind seat holders who have not voted, once, 24 hours before the deadline."""
    return services.vote_reminders_send()


@shared_task(**RETRY)
def standards_activate_due() -> int:
    """Beat job: bring scheduled standard versions into force on their effective date."""
    due = list(
        Standard.objects.filter(status=Standard.Status.SCHEDULED, effective_from__lte=timezone.localdate())
        .order_by("effective_from")
        .values_list("pk", flat=True)
    )
    for standard_id in due:
        services.standard_activate(standard_id)
    return len(due)
