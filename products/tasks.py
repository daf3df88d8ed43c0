"""Celery jobs for access to data. Thin: take ids, call a service; every one is safe to run twice.

Schedules (django-celery-beat, editable in the admin; ``products.demo_access.schedules_install`` creates them):
``access_requests_remind_and_expire_task`` hourly, ``grants_expire_task`` nightly, ``grants_sync_sweep_task`` and
``outbox_sweep_task`` every minute (the sweeps catch whatever a lost publish or a failed attempt left behind).
"""

from celery import shared_task

from products import services
from products.provisioning import outbox_deliver, outbox_deliver_due

RETRYING = {
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(**RETRYING)
def grant_provisioning_sync_task(grant_id: int) -> str:
    return services.grant_provisioning_sync(grant_id)


@shared_task(**RETRYING)
def grants_sync_sweep_task(batch_size: int = 500) -> int:
    ids = list(services.grants_needing_sync().order_by("pk").values_list("pk", flat=True)[:batch_size])
    for grant_id in ids:
        services.grant_provisioning_sync(grant_id)
    return len(ids)


@shared_task(**RETRYING)
def outbox_event_deliver(event_pk: int) -> bool:
    """One delivery attempt; a failure is recorded on the row with its next attempt time (exponential backoff)."""
    return outbox_deliver(event_pk)


@shared_task(**RETRYING)
def outbox_sweep_task() -> int:
    return outbox_deliver_due()


@shared_task(**RETRYING)
def grants_expire_task() -> dict:
    return services.grants_expire()


@shared_task(**RETRYING)
def access_requests_remind_and_expire_task() -> dict:
    return services.access_requests_remind_and_expire()


# --- Quality checks ---------------------------------------------------------------------------------------------
# A run fans out one task per check (so checks spread over workers and one slow table holds up nothing else);
# the product's schedule is a PeriodicTask per product (``services.quality_schedule_sync``), the sweep a fixed one
# (migration ``0005_quality_schedules``).


@shared_task(**RETRYING)
def quality_run_task(run_id: int) -> int:
    return services.quality_run_execute(run_id)


@shared_task(**RETRYING)
def quality_check_task(run_id: int, check_id: int) -> str:
    return services.quality_check_record(run_id, check_id)


@shared_task(**RETRYING)
def quality_product_scheduled_task(product_id: int) -> int | None:
    from products.models import DataProduct

    product = DataProduct.objects.filter(pk=product_id).first()
    if product is None:
        return None
    return services.quality_run_start(actor=None, product=product, trigger="schedule").pk


@shared_task(**RETRYING)
def quality_sweep_task() -> dict:
    return services.quality_sweep()
