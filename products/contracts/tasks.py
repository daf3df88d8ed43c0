"""Contract jobs: scheduled schema changes are applied when their notice period ends (one task per change, so one
failure holds up nothing else; the sweep runs every few minutes, migration in ``products/migrations``)."""

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
