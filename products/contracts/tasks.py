"""Contract jobs: scheduled schema changes are applied when their notice period ends (one task per change, so one
failure holds up nothing else; the sweep runs every few minutes), and drift checks compare ports with their real
tables (a run fans out a chunk per warehouse; the sweep runs hourly), and superseded ports are retired once their
sunset passes (one task per port; the sweep runs every 15 minutes). Schedules: migrations in
``products/migrations``."""

from portal.services import job, task_enqueue_on_commit
from products.contracts import services


@job("products.contracts.tasks.schema_change_apply_task")
def schema_change_apply_task(version_id: int) -> str:
    return services.schema_change_apply(version_id)


@job("products.contracts.tasks.schema_changes_apply_due_task")
def schema_changes_apply_due_task() -> int:
    due = services.schema_changes_due()
    for version_id in due:
        task_enqueue_on_commit(schema_change_apply_task, version_id)
    return len(due)


@job("products.contracts.tasks.drift_run_task")
def drift_run_task(run_id: int) -> int:
    from products.contracts import drift_runs

    return drift_runs.drift_run_execute(run_id)


@job("products.contracts.tasks.drift_chunk_task")
def drift_chunk_task(run_id: int, warehouse_id: int, port_ids: list[int]) -> int:
    """A chunk in the shape sent before chunks were leased: still counted once per port."""
    from products.contracts import drift_runs

    return drift_runs.drift_chunk_check(run_id, warehouse_id, port_ids)


@job("products.contracts.tasks.drift_chunk_leased_task")
def drift_chunk_leased_task(chunk_id: int) -> int:
    from products.contracts import drift_runs

    return drift_runs.drift_chunk_execute(chunk_id)


@job("products.contracts.tasks.drift_runs_sweep_task")
def drift_runs_sweep_task() -> dict:
    from products.contracts import drift_runs

    return drift_runs.drift_runs_sweep()


@job("products.contracts.tasks.drift_sweep_task")
def drift_sweep_task() -> dict:
    from products.contracts import drift_runs

    return drift_runs.drift_sweep()


@job("products.contracts.tasks.port_retire_task")
def port_retire_task(port_id: int) -> str:
    from products.contracts import successors

    return successors.port_retire(port_id)


@job("products.contracts.tasks.ports_retire_due_task")
def ports_retire_due_task() -> int:
    from products.contracts import successors

    due = successors.ports_retire_due()
    for port_id in due:
        task_enqueue_on_commit(port_retire_task, port_id)
    return len(due)
