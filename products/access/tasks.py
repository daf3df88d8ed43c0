"""Celery jobs for access to data. Thin: take ids, call a service; every one is safe to run twice.

Schedules (django-celery-beat, editable in the admin; migration ``0006_access_schedules`` registers them):
``access_requests_remind_and_expire_task`` hourly, ``grants_expire_task`` nightly, ``grants_sync_sweep_task`` every
minute (the sweep catches whatever a lost publish or a failed attempt left behind). Registered names keep the
``products.tasks.`` prefix that beat rows were created with.
"""

from portal.services import job
from products.access import services


@job("products.tasks.grant_provisioning_sync_task")
def grant_provisioning_sync_task(grant_id: int) -> str:
    return services.grant_provisioning_sync(grant_id)


@job("products.tasks.grants_sync_sweep_task")
def grants_sync_sweep_task(batch_size: int = 500) -> int:
    ids = list(services.grants_needing_sync().order_by("pk").values_list("pk", flat=True)[:batch_size])
    for grant_id in ids:
        services.grant_provisioning_sync(grant_id)
    return len(ids)


@job("products.tasks.grants_expire_task")
def grants_expire_task() -> dict:
    return services.grants_expire()


@job("products.tasks.access_requests_remind_and_expire_task")
def access_requests_remind_and_expire_task() -> dict:
    return services.access_requests_remind_and_expire()
