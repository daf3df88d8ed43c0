"""Demo: one enforcement run over the demo catalog, queued for the worker that `make demo` starts right after
seeding, so the compliance dashboard, violations and product compliance panels have data from the first minute.
Each seeding adds a run (a point on the trend chart); the run itself changes nothing when nothing changed."""

from governance.enforcement.services import enforcement_run_start


def seed(users: dict) -> None:
    enforcement_run_start(actor=users["admin"], trigger="manual")
