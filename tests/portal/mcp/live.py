"""A live portal for the MCP transport tests: its own copy of the test database, seeded with the demo, served by
uvicorn on a free port (Django and the MCP server at /mcp/), and ``manage.py mcp_serve`` for stdio.

The servers run in other processes, which cannot see a test's transaction, so the portal gets a database of its
own: on SQLite a file copied from the (migrated, empty) test database with SQLite's backup API, on PostgreSQL a
database created from the test database as a template (``<test database>_mcplive``, dropped at the end). Each
pytest-xdist worker has its own test database, hence its own live portal. The portal's Celery jobs go to a
filesystem broker in its temporary folder, never to a Redis that other tests' workers listen on.
"""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.db import connection

REPO = Path(__file__).resolve().parents[3]
DEMO_PASSWORD = "mesh-demo"  # noqa: S105 - the demo's published password


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clone_database(root: Path) -> tuple[str, str | None]:
    """A copy of the migrated test database for the live servers: (its DATABASE_URL, the PostgreSQL name to drop)."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        target = root / "portal.sqlite3"
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return f"sqlite:///{target}", None
    source = connection.settings_dict["NAME"]
    target = f"{source}_mcplive"
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{target}" WITH TEMPLATE "{source}"')
    url = urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{target}")
    return url.geturl(), target


def _drop_database(name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class LiveSite:
    root: Path
    env: dict
    url: str
    pg_database: str | None = None
    server: subprocess.Popen | None = None
    log: Path = field(default_factory=Path)

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp/"

    def manage(self, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def api(self, method: str, path: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
        """One REST API call to the live portal: (status, JSON answer)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw) if raw else {}
            except ValueError:
                return error.code, {"body": raw.decode(errors="replace")}

    def token_for(self, username: str, *, read_only: bool = False) -> tuple[int, str]:
        """A new API token of a demo user, made as a pipeline would (user name and password): (its id, its key)."""
        status, answer = self.api(
            "POST",
            "/api/v1/auth/token/",
            body={"username": username, "password": DEMO_PASSWORD, "name": "agent", "read_only": read_only},
        )
        assert status == 200, answer
        return answer["id"], answer["key"]

    def start(self) -> None:
        port = int(urlparse(self.url).port)
        self.log = self.root / "uvicorn.log"
        with open(self.log, "w") as log:
            self.server = subprocess.Popen(  # noqa: S603 - uvicorn from this virtualenv
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "portal.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"uvicorn stopped: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310 - loopback only
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"uvicorn did not answer in time: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=15)


def live_site_start(root: Path) -> LiveSite:
    """Copy the test database, seed the demo into the copy, start uvicorn on a free port."""
    database_url, pg_database = _clone_database(root)
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_TEST_NAME", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=database_url,
        MESH_VAR_DIR=str(root),
        MESH_SITE_URL=url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        MESH_MCP_RATE_LIMIT="1000",
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
        DEBUG="0",
        MESH_PLAIN_STATIC="1",
    )
    site = LiveSite(root=root, env=env, url=url, pg_database=pg_database)
    seeded = site.manage("seed_demo")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    site.start()
    return site


def live_site_stop(site: LiveSite) -> None:
    site.stop()
    if site.pg_database:
        _drop_database(site.pg_database)
