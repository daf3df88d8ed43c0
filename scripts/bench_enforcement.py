#!/usr/bin/env python3
"""Enforcement throughput: N products against the baseline and 10 standards in force, with 1 and then 2 Celery
worker processes over Redis, timed from the run's start to its end as recorded by ``EnforcementRun``.

    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python scripts/bench_enforcement.py                 # SQLite
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python scripts/bench_enforcement.py --database postgres

BENCH_POSTGRES_URL (server, default postgres://postgres@127.0.0.1:5432) and BENCH_DATABASE_NAME choose the database.

It builds (once, then reuses) a separate database of N generated products (``generate_catalog``'s
``generate_products``: one port, 5 fields each, no accountable person, so every product opens violations), creates
10 standards in force directly, then for each worker count: clears violations and scores (a cold run opens every
violation), starts a run fanned out in chunks of 500, waits for it to close, and runs it once more (the steady
state: nothing new). Each worker is a real ``celery -A portal worker --concurrency 1`` subprocess. Figures go to
stdout and var/bench/enforcement-<database>-<N>.json.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STANDARDS = [
    ("naming_convention", {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"}, "blocker"),
    ("naming_convention", {"target": "slug", "pattern": "^[a-z0-9-]+$"}, "warning"),
    ("naming_convention", {"target": "name", "pattern": "^[A-Z]"}, "warning"),
    ("min_quality_score", {"minimum": 80}, "warning"),
    ("required_classification", {"field_pattern": "email|phone|birth", "classification": "pii"}, "blocker"),
    ("required_classification", {"field_pattern": "salary|iban", "classification": "confidential"}, "warning"),
    ("sla_template", {"max_freshness_minutes": 1440}, "blocker"),
    ("sla_template", {"min_availability_percent": 99}, "warning"),
    ("required_metadata", {"require": ["owner", "description"]}, "blocker"),
    ("required_metadata", {"require": ["schema", "sla"]}, "warning"),
]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(products: int) -> None:
    from django.utils import timezone

    from governance.models import Council, Standard
    from products.management.commands.generate_catalog import generate_products
    from products.models import DataProduct, Domain, Team

    domain, _ = Domain.objects.get_or_create(slug="bench-enforcement", defaults={"name": "Bench enforcement"})
    team, _ = Team.objects.get_or_create(slug="bench-enforcement", defaults={"name": "Bench", "domain": domain})
    have = DataProduct.objects.filter(owner_team=team).count()
    if have < products:
        print(f"generating {products - have} products…", flush=True)
        started = time.monotonic()
        generate_products(team, products - have, fields_per_product=5, prefix=f"enf{have}")
        print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    council, _ = Council.objects.get_or_create(name="Bench council")
    for index, (kind, rule, severity) in enumerate(STANDARDS, start=1):
        Standard.objects.get_or_create(
            code=f"STD-B{index:02d}",
            version=1,
            defaults={
                "council": council,
                "kind": kind,
                "title": f"Bench standard {index}",
                "rule": rule,
                "severity": severity,
                "effective_from": timezone.localdate(),
                "grace_days": 0,
                "status": "in_force",
            },
        )


def start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    workers = []
    for index in range(count):
        workers.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--concurrency",
                    "1",
                    "--pool",
                    "prefork",
                    "-n",
                    f"bench{index}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
            )
        )
    time.sleep(4)  # let them connect before the run publishes
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def timed_run(timeout: float = 1800) -> dict:
    from governance.enforcement import services
    from governance.enforcement.models import EnforcementRun

    run = services.enforcement_run_start(trigger="manual", chunk_size=500)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != EnforcementRun.Status.RUNNING:
            break
        time.sleep(0.2)
    seconds = run.duration.total_seconds() if run.duration else None
    return {
        "run": run.pk,
        "status": run.status,
        "products": run.products_checked,
        "chunks": run.chunks_total,
        "opened": run.violations_opened,
        "resolved": run.violations_resolved,
        "seconds": round(seconds, 2) if seconds else None,
        "products_per_second": round(run.products_checked / seconds, 1) if seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma separated")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL (e.g. redis://127.0.0.1:6379/3): the workers are real Celery workers over Redis")

    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.database == "sqlite":
        database_url = f"sqlite:///{out_dir / f'enforcement-{args.products}.sqlite3'}"
    else:
        server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
        name = os.environ.get("BENCH_DATABASE_NAME", f"mesh_bench_enforcement_{args.products}")
        database_url = f"{server}/{name}"
        import psycopg

        with psycopg.connect(f"{server}/postgres".replace("postgres://", "postgresql://"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    setup_django(database_url)
    prepare(args.products)

    from governance.enforcement.models import ComplianceSnapshot, EnforcementRun, ProductCompliance, Violation
    from portal.celery import app

    app.control.purge()
    EnforcementRun.objects.filter(status="running").update(status="failed")
    results = {"database": args.database, "products": args.products, "standards": 10, "chunk_size": 500, "runs": {}}
    for count in [int(value) for value in args.workers.split(",")]:
        Violation.objects.all().delete()
        ProductCompliance.objects.all().delete()
        ComplianceSnapshot.objects.all().delete()
        workers = start_workers(count, env)
        try:
            cold = timed_run()
            steady = timed_run()
        finally:
            stop_workers(workers)
        results["runs"][f"{count}_worker{'s' if count > 1 else ''}"] = {"cold": cold, "steady": steady}
        print(
            f"{count} worker(s): cold run {cold['products']} products in {cold['seconds']} s "
            f"= {cold['products_per_second']} products/s ({cold['opened']} violations opened); "
            f"steady rerun {steady['seconds']} s = {steady['products_per_second']} products/s "
            f"({steady['opened']} opened, {steady['resolved']} resolved)",
            flush=True,
        )
    path = out_dir / f"enforcement-{args.database}-{args.products}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
