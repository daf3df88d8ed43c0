#!/usr/bin/env python3
"""Catalog latency benchmark: every list, search, product page and panel next to a signed-in bare page, in one run.

    .venv/bin/python scripts/bench_catalog.py                          # SQLite, 10,000 products x 20 fields
    .venv/bin/python scripts/bench_catalog.py --database postgres      # PostgreSQL (server from BENCH_POSTGRES_URL)
    .venv/bin/python scripts/bench_catalog.py --products 100000 --database postgres
    .venv/bin/python scripts/bench_catalog.py --concurrency 16         # also req/s, 2 gunicorn workers

It builds (once, then reuses) a database holding a realistic mesh of N products (``generate_catalog --mesh``: six
domains of three teams, a Zipf vocabulary and Zipf tags, 5% drafts, lineage, consumers, history), starts gunicorn
on 127.0.0.1 and signs in two personas: an analyst (no team: the visibility rules hide every draft) and an editor
(a member of the busiest team: drafts of their team visible, the product page's edit forms). Each round visits
every (persona, target) pair once in a fresh random order, so a slow minute of the machine hits all targets
alike. Per pair it reports p50/p95 and the p95's ratio to the same persona's bare page (a signed-in page with the
base layout: session, user, notifications count), plus the load average before and after. Figures go to
var/bench/catalog-<database>-<N>.json.

Environment: BENCH_POSTGRES_URL (server, default postgres://postgres@127.0.0.1:5432), BENCH_DATABASE_NAME
(default mesh_bench_<N>), BENCH_SQLITE_PATH (default var/bench/catalog-<N>.sqlite3).
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway users in a throwaway database
PERSONAS = ("analyst", "editor")

SETUP = """
from django.contrib.auth import get_user_model
from django.db.models import Count
from products.models import DataProduct, Membership, SchemaField, Team
U = get_user_model()
analyst, _ = U.objects.get_or_create(username="bench-analyst")
analyst.set_password("{password}"); analyst.save()
team = Team.objects.annotate(n=Count("products")).order_by("-n", "pk").first()
editor, _ = U.objects.get_or_create(username="bench-editor")
editor.set_password("{password}"); editor.save()
Membership.objects.get_or_create(team=team, user=editor, defaults={{"role": "owner"}})
product = (DataProduct.objects.filter(owner_team=team, status="published")
    .annotate(n=Count("inputs", distinct=True) + Count("subscriptions", distinct=True)).order_by("-n", "pk").first())
rare = DataProduct.objects.filter(status="published").order_by("pk")[DataProduct.objects.count() // 3]
field = SchemaField.objects.filter(port__product=rare).order_by("position").last()
common_tag = product.tags.order_by("name").first() or rare.tags.first()
print(product.domain.slug, product.slug, rare.name.split()[-1], field.name, common_tag.name)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def database_url(args, out_dir: Path) -> str:
    if args.database == "sqlite":
        path = os.environ.get("BENCH_SQLITE_PATH") or str(out_dir / f"catalog-{args.products}.sqlite3")
        return f"sqlite:///{path}"
    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    name = os.environ.get("BENCH_DATABASE_NAME", f"mesh_bench_{args.products}")
    return f"{server}/{name}"


def prepare_database(args, env: dict) -> dict:
    if args.database == "postgres":
        import psycopg

        server, name = env["DATABASE_URL"].rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres".replace("postgres://", "postgresql://"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput", "-v0")
    count = "from products.models import DataProduct; print(DataProduct.objects.filter(slug__startswith='m').count())"
    have = int(manage(env, "shell", "--no-imports", "-c", count, capture=True).strip())
    generated = None
    if have < args.products:
        print(f"generating {args.products - have} products with {args.fields} fields each…", flush=True)
        started = time.monotonic()
        manage(
            env, "generate_catalog", str(args.products - have), "--mesh", "--fields", str(args.fields),
            "--prefix", f"m{have}",
        )  # fmt: skip
        generated = round(time.monotonic() - started, 1)
        print(f"  done in {generated} s", flush=True)
    domain, slug, rare_word, field, tag = manage(
        env, "shell", "--no-imports", "-c", SETUP.format(password=PASSWORD), capture=True
    ).split()
    return {
        "generated_s": generated,
        "targets": {
            "bare page": "/accounts/token/",
            "catalog": "/products/",
            "catalog: tag": f"/products/?tag={tag}",
            "search: rare word": f"/products/?q={rare_word}",
            "search: common word": "/products/?q=order",
            "search: field name": f"/products/?q={field}",
            "product page": f"/products/{domain}/{slug}/",
            **{
                f"product panel: {panel}": f"/products/{domain}/{slug}/panels/{panel}/"
                for panel in ("glossary", "compliance", "quality", "contract", "access")
            },
            "API list": "/api/v1/products/",
            "API search: field name": f"/api/v1/products/?q={field}",
        },
    }


def login(base: str, username: str) -> urllib.request.OpenerDirector:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/").read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(f"{base}/accounts/login/", data=body.encode(), headers={"Referer": base})
    opener.open(request).read()
    if not any(cookie.name == "sessionid" for cookie in jar):
        raise SystemExit(f"could not sign {username} in to the benchmark server")
    return opener


def fetch(opener, url: str) -> float:
    """Milliseconds to fetch ``url`` whole; a product page panel is asked for as the page's htmx request asks."""
    request = urllib.request.Request(url, headers={"HX-Request": "true"} if "/panels/" in url else {})
    started = time.perf_counter()
    with opener.open(request) as response:
        response.read()
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def start_server(env: dict, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/healthz").read()  # noqa: S310 - our own server on 127.0.0.1
            return server, base
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the benchmark server did not start")


def latency(base: str, targets: dict, rounds: int, seed: int) -> dict:
    openers = {persona: login(base, f"bench-{persona}") for persona in PERSONAS}
    pairs = [(persona, label) for persona in PERSONAS for label in targets]
    for persona, label in pairs:  # warm-up: caches, connections, compiled templates
        for _ in range(3):
            fetch(openers[persona], base + targets[label])
    timings: dict[tuple, list[float]] = {pair: [] for pair in pairs}
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(pairs)
        for persona, label in pairs:
            timings[(persona, label)].append(fetch(openers[persona], base + targets[label]))
    results = {}
    for persona in PERSONAS:
        bare = percentile(timings[(persona, "bare page")], 0.95)
        for label, path in targets.items():
            values = timings[(persona, label)]
            p95 = percentile(values, 0.95)
            results[f"{persona} | {label}"] = {
                "path": path,
                "p50_ms": round(statistics.median(values), 2),
                "p95_ms": round(p95, 2),
                "p95_ratio_to_bare": round(p95 / bare, 2),
            }
    return results


def _hammer(opener, url: str, deadline: float, done: list, index: int) -> None:
    while time.monotonic() < deadline:
        fetch(opener, url)
        done[index] += 1


def throughput(base: str, targets: dict, clients: int, seconds: float) -> dict:
    """Requests per second of the bare page and the product page as the analyst, ``clients`` threads each."""
    results = {}
    for label in ("bare page", "product page"):
        openers = [login(base, "bench-analyst") for _ in range(clients)]
        done = [0] * clients
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(target=_hammer, args=(opener, base + targets[label], deadline, done, index))
            for index, opener in enumerate(openers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results[label] = round(sum(done) / seconds, 1)
    results["product page / bare page"] = round(results["product page"] / results["bare page"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=60, help="visits of every (persona, target) pair")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--concurrency", type=int, default=0, help="clients for a req/s run (2 workers); 0: none")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each req/s run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(args, out_dir),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "MESH_PLAIN_STATIC": "1",
        "LOG_LEVEL": "WARNING",
        "AXES_FAILURE_LIMIT": "1000",
    }
    prepared = prepare_database(args, env)
    targets = prepared["targets"]
    load_before = os.getloadavg()
    server, base = start_server(env, workers=1)
    try:
        results = latency(base, targets, args.rounds, args.seed)
    finally:
        server.terminate()
        server.wait(timeout=10)
    rates = None
    if args.concurrency:
        server, base = start_server(env, workers=2)
        try:
            rates = throughput(base, targets, args.concurrency, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=10)
    load_after = os.getloadavg()

    print(
        f"\n{args.database}, {args.products:,} products x {args.fields} fields, {args.rounds} shuffled rounds; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(f"{'persona | target':40} {'p50 ms':>8} {'p95 ms':>8} {'p95/bare':>9}")
    for label, row in results.items():
        print(f"{label:40} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['p95_ratio_to_bare']:9.2f}")
    if rates:
        print(f"req/s with 2 workers, {args.concurrency} clients: {rates}")
    report = out_dir / f"catalog-{args.database}-{args.products}.json"
    report.write_text(
        json.dumps(
            {
                "args": vars(args),
                "generated_s": prepared["generated_s"],
                "load_average": {"before": load_before, "after": load_after},
                "cpus": os.cpu_count(),
                "results": results,
                "throughput": rates,
            },
            indent=2,
        )
    )
    print(f"\nfigures written to {report.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
