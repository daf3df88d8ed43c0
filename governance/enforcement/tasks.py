"""Enforcement jobs. Thin: they take ids, call the engine or a service, and are safe to run twice. They keep their
``governance.tasks.*`` names (beat rows and data migrations refer to them); Celery imports this module through
``CELERY_IMPORTS``, since autodiscovery only finds ``<app>.tasks``."""

from governance.enforcement import services
from governance.enforcement.engine import products_evaluate
from governance.enforcement.models import EnforcementRun
from portal.services import job


@job("governance.tasks.enforcement_run_start")
def enforcement_run_start() -> int:
    """Beat job (hourly by default): start a run that fans out ``enforcement_chunk`` tasks, or find the one going.
    Returns the run id."""
    return services.enforcement_run_start(trigger=EnforcementRun.Trigger.SCHEDULE).pk


@job("governance.tasks.enforcement_chunk")
def enforcement_chunk(chunk_id: int, _product_ids: list[int] | None = None) -> int:
    """Evaluate one leased chunk of a run (the run's counters move with F(); the last chunk closes it). A message of
    the former shape ``(run_id, product_ids)`` is dropped: migration 0006 failed the runs it belonged to."""
    if _product_ids is not None:
        return 0
    return services.enforcement_chunk_execute(chunk_id)


@job("governance.tasks.enforcement_runs_sweep")
def enforcement_runs_sweep() -> dict:
    """Beat job (every minute): resume runs whose workers died or whose chunks were lost; fail runs stuck on a chunk."""
    return services.enforcement_runs_sweep()


@job("governance.tasks.product_evaluate")
def product_evaluate(product_id: int) -> int:
    """Re-evaluate one product now (outside a run). Returns violations opened."""
    return products_evaluate([product_id]).opened


@job("governance.tasks.products_evaluate_chunk")
def products_evaluate_chunk(product_ids: list[int]) -> int:
    """Re-evaluate products changed in bulk (an import), outside a run (see ``governance.enforcement.receivers``)."""
    return products_evaluate(product_ids).checked


@job("governance.tasks.waivers_expire")
def waivers_expire() -> int:
    """Beat job: approved waivers past their expiry lapse, and their products are re-evaluated."""
    return services.waivers_expire()
