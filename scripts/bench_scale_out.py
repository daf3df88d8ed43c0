#!/usr/bin/env python3
"""Scale-out of enforcement: one run over N products, with 1, 2 and 4 Celery worker processes (each a real
``celery -A portal worker --concurrency 1`` over Redis) against PostgreSQL, timed from the run's start to its end as
``EnforcementRun`` records it. The run's chunks are leased to whichever worker takes them (``portal.leases``), so
more workers share one run.

    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python scripts/bench_scale_out.py --products 5000

It builds (once, then reuses) the database ``mesh_bench_scale_<N>`` of N generated products (``generate_catalog``:
one port, 5 fields each, no accountable person, so every product opens violations) and 10 standards in force; for
each worker count it clears violations and scores, runs a cold run (every violation opened), then a steady rerun
(nothing new). Figures go to stdout and var/bench/scale-out-<N>.json, with the machine's CPU count and model.
"""

import argparse
import contextlib
import json
import os
import platform
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


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version()}


def prepare(products: int) -> None:
    from django.utils import timezone

    from governance.models import Council, Standard
    from products.management.commands.generate_catalog import generate_products
    from products.models import DataProduct, Domain, Team

    domain, _ = Domain.objects.get_or_create(slug="bench-scale", defaults={"name": "Bench scale-out"})
    team, _ = Team.objects.get_or_create(slug="bench-scale", defaults={"name": "Bench", "domain": domain})
    have = DataProduct.objects.filter(owner_team=team).count()
    if have < products:
        print(f"generating {products - have} products…", flush=True)
        generate_products(team, products - have, fields_per_product=5, prefix=f"scale{have}")
    council, _ = Council.objects.get_or_create(name="Bench council")
    for index, (kind, rule, severity) in enumerate(STANDARDS, start=1):
        Standard.objects.get_or_create(
            code=f"STD-S{index:02d}",
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
    workers = [
        subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "portal", "worker", "--concurrency", "1", "--pool", "prefork"]
            + ["-n", f"scale{index}@%h", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(count)
    ]
    time.sleep(5)  # let them connect before the run publishes
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def timed_run(chunk_size: int, timeout: float = 3600) -> dict:
    from governance.enforcement import services
    from governance.enforcement.models import EnforcementRun

    run = services.enforcement_run_start(trigger="manual", chunk_size=chunk_size)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != EnforcementRun.Status.RUNNING:
            break
        time.sleep(0.2)
    seconds = run.duration.total_seconds() if run.duration else None
    return {
        "status": run.status,
        "products": run.products_checked,
        "chunks": run.chunks_total,
        "opened": run.violations_opened,
        "seconds": round(seconds, 2) if seconds else None,
        "products_per_second": round(run.products_checked / seconds, 1) if seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--chunk-size", type=int, default=250)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma separated")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL (e.g. redis://127.0.0.1:6379/7): the workers are real Celery workers over Redis")

    import psycopg

    name = f"mesh_bench_scale_{args.products}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    prepare(args.products)

    from django_celery_beat.models import PeriodicTask

    from governance.enforcement.models import ComplianceSnapshot, EnforcementRun, ProductCompliance, Violation
    from portal.celery import app

    PeriodicTask.objects.update(enabled=False)  # nothing but the runs measured
    app.control.purge()
    EnforcementRun.objects.filter(status="running").update(status="failed")
    results = {"machine": machine(), "products": args.products, "standards": len(STANDARDS), "runs": {}}
    results["chunk_size"] = args.chunk_size
    baseline = None
    for count in [int(value) for value in args.workers.split(",")]:
        Violation.objects.all().delete()
        ProductCompliance.objects.all().delete()
        ComplianceSnapshot.objects.all().delete()
        workers = start_workers(count, env)
        try:
            cold = timed_run(args.chunk_size)
            steady = timed_run(args.chunk_size)
        finally:
            stop_workers(workers)
        cold["load_average"] = round(os.getloadavg()[1], 1)  # the machine's 5-minute load: other work skews it
        baseline = baseline or cold["products_per_second"]
        speedup = round(cold["products_per_second"] / baseline, 2) if baseline else None
        results["runs"][str(count)] = {"cold": cold, "steady": steady, "cold_speedup": speedup}
        print(
            f"{count} worker(s): cold {cold['products']} products in {cold['seconds']} s = "
            f"{cold['products_per_second']} products/s (x{speedup}); steady rerun {steady['seconds']} s = "
            f"{steady['products_per_second']} products/s; load average {cold['load_average']}",
            flush=True,
        )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"scale-out-{args.products}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"{results['machine']}; written to {path}")


if __name__ == "__main__":
    main()
