"""Fault injection for tests: a Redis server of the test's own (on a free port, data under a temp dir) that can be
killed, hung (SIGSTOP: port open, nobody answering) and brought back, and real Celery worker and beat processes,
each in its own process group, against the PostgreSQL test database. The machine's shared PostgreSQL and Redis
are never stopped: only what a test starts here.

Tests using these are marked ``postgres`` and ``redis`` (the worker processes need a database they can reach: the
test database on PostgreSQL, in ``django_db(transaction=True)`` tests) and ``slow``.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from portal.celery import app
from tests.celery_worker import broker_connections_reset

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (bound and released: connections to it are refused)."""
    return free_port()


class RedisServer:
    """``redis-server`` on a free port with no persistence: killing it loses whatever it held, as a broker restart
    without an append-only file does."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="mesh-redis-")
        self.process = None

    @classmethod
    def on_port(cls, port: int) -> "RedisServer":
        """A new, empty server where a killed one was (the broker restarted without persistence)."""
        return cls(port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def hang(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def publishing_to(broker_url: str):
    """Tasks published by the test process go to ``broker_url`` (not eager), with the short timeouts of settings."""
    from django.conf import settings

    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    options = {
        "visibility_timeout": 3600,
        "socket_timeout": settings.MESH_BROKER_TIMEOUT,
        "socket_connect_timeout": settings.MESH_BROKER_TIMEOUT,
        "retry_on_timeout": False,
    }
    app.conf.update(broker_url=broker_url, task_always_eager=False, broker_transport_options=options)
    broker_connections_reset()
    try:
        yield
    finally:
        app.conf.update(**previous)
        broker_connections_reset()


def database_url() -> str:
    """The URL of the database the tests run against (the test database), for worker processes."""
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail("worker processes need the PostgreSQL test database")
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    return f"postgres://{settings['USER']}{password}@{host}:{settings.get('PORT') or 5432}/{settings['NAME']}"


def service_env(broker_url: str, **extra: str) -> dict:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DATABASE_TEST", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "CELERY_BROKER_URL": broker_url,
            "LOG_LEVEL": "WARNING",
            "MESH_WEBHOOK_ALLOW_PRIVATE": "1",
        }
    )
    env.update(extra)
    return env


class ServiceProcess:
    """A Celery worker or beat in its own process group (``kill_group`` sends a signal to all of its processes)."""

    def __init__(self, args: list[str], env: dict, log_path: Path):
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_group(self, sig=signal.SIGKILL) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill_group()
        self.log.close()


def worker(env: dict, log_dir: Path, name: str, concurrency: int = 2) -> ServiceProcess:
    args = ["worker", "--pool", "prefork", "--concurrency", str(concurrency), "-n", f"{name}@%h"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
    return ServiceProcess(args, env, log_dir / f"{name}.log")


def beat(env: dict, log_dir: Path, name: str) -> ServiceProcess:
    args = ["beat", "--loglevel", "INFO", "--max-interval", "1", "-s", str(log_dir / f"{name}-schedule")]
    return ServiceProcess(args, env, log_dir / f"{name}.log")


def wait_until(condition, *, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{message} not met within {timeout} s")
