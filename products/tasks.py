"""Catalog jobs: webhook delivery from the outbox. Thin; safe to run twice (the row is claimed before sending)."""

from portal.services import job
from products import webhooks


@job("products.tasks.outbox_event_deliver")
def outbox_event_deliver(event_pk: int) -> bool:
    """One delivery attempt; a failure is recorded on the row with its next attempt time (exponential backoff)."""
    return webhooks.outbox_deliver(event_pk)


@job("products.tasks.outbox_sweep_task")
def outbox_sweep_task() -> int:
    """Every minute: send whatever is due (events whose publish was lost, retries after a failure)."""
    return webhooks.outbox_deliver_due()
