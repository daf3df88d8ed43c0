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


# --- enforcement ------------------------------------------------------------------------------------------------


@shared_task(**RETRY)
def enforcement_run_start() -> int:
    """Beat job (hourly by default): start a run that fans out ``enforcement_chunk`` tasks. Returns the run id."""
    return services.enforcement_run_start(trigger="schedule").pk


@shared_task(**RETRY)
def enforcement_chunk(run_id: int, product_ids: list[int]) -> int:
    """Evaluate one chunk of a run (the run's counters move with F(); the last chunk closes it)."""
    from governance.enforcement import products_evaluate

    return products_evaluate(product_ids, run_id=run_id).checked


@shared_task(**RETRY)
def product_evaluate(product_id: int) -> int:
    """Re-evaluate one product now (outside a run). Returns violations opened."""
    from governance.enforcement import products_evaluate

    return products_evaluate([product_id]).opened


@shared_task(**RETRY)
def products_evaluate_chunk(product_ids: list[int]) -> int:
    """Re-evaluate products changed in bulk (an import), outside a run (see ``governance.receivers``)."""
    from governance.enforcement import products_evaluate

    return products_evaluate(product_ids).checked


@shared_task(**RETRY)
def waivers_expire() -> int:
    """Beat job: approved waivers past their expiry lapse, and their products are re-evaluated."""
    return services.waivers_expire()
