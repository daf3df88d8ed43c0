"""Quality jobs. A run fans out one task per check (so checks spread over workers and one slow table holds up
nothing else); the product's schedule is a PeriodicTask per product (``services.quality_schedule_sync``), the sweep a
fixed one (migration ``0005_quality_schedules``). Registered names keep the ``products.tasks.`` prefix that
beat rows were created with."""

from portal.services import job
from products.models import DataProduct
from products.quality import services
from products.quality.models import CheckRun


@job("products.tasks.quality_run_task")
def quality_run_task(run_id: int) -> int:
    return services.quality_run_execute(run_id)


@job("products.tasks.quality_check_task")
def quality_check_task(item_id: int, check_id: int | None = None) -> str:
    """One leased check of a run (``CheckRunItem``); a message of the former shape ``(run_id, check_id)`` too."""
    if check_id is not None:
        return services.quality_check_record(item_id, check_id)
    return services.quality_item_execute(item_id)


@job("products.tasks.quality_runs_sweep_task")
def quality_runs_sweep_task() -> dict:
    """Every minute: resume check runs whose worker died or whose messages were lost."""
    return services.quality_runs_sweep()


@job("products.tasks.quality_product_scheduled_task")
def quality_product_scheduled_task(product_id: int) -> int | None:
    product = DataProduct.objects.filter(pk=product_id).first()
    if product is None:
        return None
    return services.quality_run_start(actor=None, product=product, trigger=CheckRun.Trigger.SCHEDULE).pk


@job("products.tasks.quality_sweep_task")
def quality_sweep_task() -> dict:
    return services.quality_sweep()
