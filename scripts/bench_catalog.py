#!/usr/bin/env python3
"""Catalog latency benchmark: search and product pages next to a bare view, on one gunicorn, in one run.

    .venv/bin/python scripts/bench_catalog.py                       # SQLite, 10,000 products x 20 fields
    .venv/bin/python scripts/bench_catalog.py --database postgres   # PostgreSQL on 127.0.0.1 (trust auth)
    .venv/bin/python scripts/bench_catalog.py --products 100000 --requests 200

It builds (once, then reuses) a database of N generated products, starts gunicorn on 127.0.0.1, logs in as an
analyst (no team: the realistic visibility path), and times sequential requests. It prints p50/p95 per target and
the ratio of each p95 to the bare view's p95, and writes the figures to var/bench/<database>-<N>.json.
Targets: /healthz (bare view: no session, no database), /accounts/token/ (bare page: a signed-in page with
the base layout and one query of its own), search for a rare word, for a field name, for a word in every product (the very
common term), the catalog filtered by tag, the product page, and the API search.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def prepare_database(args, env: dict) -> None:
    if args.database == "postgres":
        import psycopg

        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput", "-v0")
    have = int(
        manage(
            env,
            "shell",
            "--no-imports",
            "-c",
            "from products.models import DataProduct; print(DataProduct.objects.filter(domain__slug='bench').count())",
            capture=True,
        ).strip()
    )
    if have < args.products:
        print(f"generating {args.products - have} products with {args.fields} fields each…", flush=True)
        started = time.monotonic()
        manage(env, "generate_catalog", str(args.products - have), "--fields", str(args.fields), "--prefix", f"g{have}")
        print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        "u, _ = U.objects.get_or_create(username='bench-analyst'); "
        f"u.set_password('{PASSWORD}'); u.save()",
    )


def sample_targets(env: dict) -> dict[str, str]:
    code = (
        "from products.models import DataProduct, SchemaField; "
        "p = DataProduct.objects.filter(domain__slug='bench').order_by('pk')[1234 % DataProduct.objects.count()]; "
        "f = SchemaField.objects.filter(port__product=p).order_by('position').last(); "
        "print(p.slug); print(p.name.split()[-1]); print(f.name)"
    )
    slug, number, field = manage(env, "shell", "--no-imports", "-c", code, capture=True).split()
    return {
        "bare view (/healthz)": "/healthz",
        "bare page (signed in, base layout)": "/accounts/token/",
        "search: rare word": f"/products/?q={number}",
        "search: field name": f"/products/?q={field}",
        "search: word in every product": "/products/?q=catalogue",
        "catalog filtered by tag": "/products/?tag=generated",
        "product page": f"/products/bench/{slug}/",
        "API search: field name": f"/api/v1/products/?q={field}",
    }


def login(base: str) -> urllib.request.OpenerDirector:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/").read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    body = urllib.parse.urlencode({"username": "bench-analyst", "password": PASSWORD, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(f"{base}/accounts/login/", data=body.encode(), headers={"Referer": base})
    opener.open(request).read()
    if not any(cookie.name == "sessionid" for cookie in jar):
        raise SystemExit("could not log in to the benchmark server")
    return opener


def measure(opener, url: str, count: int) -> list[float]:
    for _ in range(5):
        opener.open(url).read()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        with opener.open(url) as response:
            response.read()
            assert response.status == 200, (url, response.status)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.database == "sqlite":
        database_url = f"sqlite:///{out_dir / f'catalog-{args.products}.sqlite3'}"
    else:
        database_url = f"postgres://postgres@127.0.0.1:5432/mesh_bench_{args.products}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "MESH_PLAIN_STATIC": "1",
        "LOG_LEVEL": "WARNING",
        "AXES_FAILURE_LIMIT": "1000",
    }
    prepare_database(args, env)
    targets = sample_targets(env)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz").read()
                break
            except OSError:
                time.sleep(0.1)
        opener = login(base)
        results = {}
        for label, path in targets.items():
            timings = measure(opener, base + path, args.requests)
            results[label] = {
                "path": path,
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(percentile(timings, 0.95), 2),
            }
    finally:
        server.terminate()
        server.wait(timeout=10)

    bare = results["bare view (/healthz)"]["p95_ms"]
    page = results["bare page (signed in, base layout)"]["p95_ms"]
    print(f"\n{args.database}, {args.products:,} products x {args.fields} fields, {args.requests} requests each")
    print(f"{'target':36} {'p50 ms':>8} {'p95 ms':>8} {'p95/bare view':>14} {'p95/bare page':>14}")
    for label, row in results.items():
        row["p95_ratio_to_bare_view"] = round(row["p95_ms"] / bare, 2) if bare else None
        row["p95_ratio_to_bare_page"] = round(row["p95_ms"] / page, 2) if page else None
        print(
            f"{label:36} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
            f"{row['p95_ratio_to_bare_view']:14.2f} {row['p95_ratio_to_bare_page']:14.2f}"
        )
    report = out_dir / f"{args.database}-{args.products}.json"
    report.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\nfigures written to {report.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
