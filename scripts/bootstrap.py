#!/usr/bin/env python3
"""Bring Mesh Portal up from nothing but Python 3.11+: a virtualenv, the dependencies, the database, demo data.

    python3 scripts/bootstrap.py demo   # install, migrate, seed, then run web (with MCP) + worker + beat (Ctrl-C stops all)
    python3 scripts/bootstrap.py test   # install with the test tools, then run the whole test suite

The embedded default needs no server: SQLite under var/ and Celery over kombu's filesystem transport. Set
DATABASE_URL and REDIS_URL to run against PostgreSQL and Redis instead. Only the standard library is used here.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("MESH_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
HOST = os.environ.get("MESH_HOST", "127.0.0.1")
PORT = os.environ.get("MESH_PORT", "8000")


def run(*args: str, env: dict | None = None) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True, env=env)


def ensure_venv(extra: str) -> None:
    """Create the virtualenv and install the project (with ``extra``), skipping work already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit("Mesh Portal needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print(f"Creating a virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f".[{extra}]" if extra else "."
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = VENV / f".mesh-installed-{extra or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "-e", spec)
    stamp.write_text(digest)


def demo() -> None:
    ensure_venv("")
    env = {
        **os.environ,
        "DEBUG": os.environ.get("DEBUG", "1"),
        "MESH_SITE_URL": os.environ.get("MESH_SITE_URL", f"http://{HOST}:{PORT}"),
    }
    (ROOT / "var").mkdir(exist_ok=True)
    run(str(PYTHON), "manage.py", "migrate", "--noinput", env=env)
    run(str(PYTHON), "manage.py", "seed_demo", env=env)
    print(f"\nMesh Portal: http://{HOST}:{PORT}/  (API docs: http://{HOST}:{PORT}/api/v1/docs/)", flush=True)
    print(
        f"MCP server for AI agents: http://{HOST}:{PORT}/mcp/  (Authorization: Bearer <an API token from"
        f" http://{HOST}:{PORT}/accounts/token/>; stdio: manage.py mcp_serve --token-env MESH_TOKEN)",
        flush=True,
    )
    print("Starting web, Celery worker and Celery beat. Ctrl-C stops them all.\n", flush=True)
    honcho = str(BIN / "honcho")
    os.execve(  # noqa: S606 - hand the terminal over to honcho
        honcho,
        [honcho, "--procfile", str(ROOT / "Procfile"), "--app-root", str(ROOT), "start"],
        {**env, "MESH_HOST": HOST, "MESH_PORT": PORT, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"},
    )


def test(pytest_args: list[str]) -> None:
    ensure_venv("dev")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT)
    sys.exit(result.returncode)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "demo"
    if command == "demo":
        demo()
    elif command == "test":
        test(sys.argv[2:])
    else:
        sys.exit(__doc__)
