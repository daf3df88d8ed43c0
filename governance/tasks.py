"""Council jobs. Thin: they take ids, call a service, and are safe to run twice (or twice at once). Every job
shares the portal's retry policy (``portal.services.job``); the names are stable because beat rows and data
migrations refer to them. Enforcement's jobs are in ``governance.enforcement.tasks``."""

from django.utils import timezone

from governance import services
from governance.models import Proposal, Standard
from portal.services import job


@job("governance.tasks.proposal_close")
def proposal_close(proposal_id: int) -> str:
    """Close one due proposal (the service leaves a closed or not-yet-due proposal as it is)."""
    try:
        return services.proposal_close(proposal_id).status
    except Proposal.DoesNotExist:
        return "missing"


@job("governance.tasks.proposals_close_due")
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


@job("governance.tasks.vote_reminders_send")
def vote_reminders_send() -> int:
    """Beat job: remind seat holders who have not voted, once, 24 hours before the deadline."""
    return services.vote_reminders_send()


@job("governance.tasks.standards_activate_due")
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
