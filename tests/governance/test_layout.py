"""The layout holds: governance never imports the glossary (dependencies point one way), and every job keeps the
name beat rows and data migrations refer to, wherever its module now lives."""

import ast
from pathlib import Path

import governance
from portal.celery import app

REGISTERED_NAMES = {
    "glossary.tasks.conflicts_detect",
    "governance.tasks.enforcement_chunk",
    "governance.tasks.enforcement_run_start",
    "governance.tasks.product_evaluate",
    "governance.tasks.products_evaluate_chunk",
    "governance.tasks.proposal_close",
    "governance.tasks.proposals_close_due",
    "governance.tasks.standards_activate_due",
    "governance.tasks.vote_reminders_send",
    "governance.tasks.waivers_expire",
}


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_governance_never_imports_the_glossary():
    root = Path(governance.__file__).parent
    offenders = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if any(name == "glossary" or name.startswith("glossary.") for name in _imported_modules(path))
    )
    assert not offenders, f"governance modules importing the glossary: {offenders}"


def test_every_job_keeps_its_registered_name():
    assert "governance.enforcement.tasks" in app.conf.imports  # a worker imports it, not only the web process
    app.loader.import_default_modules()
    missing = sorted(REGISTERED_NAMES - set(app.tasks))
    assert not missing, missing
    for name in REGISTERED_NAMES:
        assert app.tasks[name].acks_late and app.tasks[name].max_retries, name  # the portal's one retry policy
