"""A real Celery worker over Redis for tests that must prove a job outside eager mode.

The worker runs in a thread of the test process (celery.contrib.testing), so it sees the test database; tests
using it need ``@pytest.mark.django_db(transaction=True)`` so the worker's connection sees committed rows.
"""

import os
import time

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker

from portal.celery import app


def broker_connections_reset() -> None:
    """Forget pooled broker connections and the publisher's rest after an earlier failure, so the next publish
    connects to the broker configured now. Celery's producer pool lives in kombu's process-wide registry: resetting
    the registry alone leaves the app holding a closed pool ("Acquire on closed pool")."""
    from portal import services as portal_services

    kombu.pools.reset()
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    portal_services.broker_rest_reset()


@pytest.fixture
def celery_worker_redis(request):
    """Start a threaded worker consuming from Redis; tasks sent with ``.delay()`` in the test go to it."""
    if not request.node.get_closest_marker("redis"):
        pytest.fail("tests using celery_worker_redis must be marked @pytest.mark.redis")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    app.conf.update(
        broker_url=redis_url,
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": 3600},
    )
    broker_connections_reset()
    queue = f"mesh-test-{os.getpid()}-{time.monotonic_ns()}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30, queues=[queue]
    ) as worker:
        yield worker
    app.conf.task_default_queue = previous_queue
    app.conf.update(**previous)
    broker_connections_reset()


def wait_for(condition, timeout: float = 20.0, interval: float = 0.05):
    """Poll ``condition`` until it returns a truthy value (a worker finishing a job), or fail after ``timeout``."""
    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OperationalError:  # SQLite's shared in-memory test database: "table is locked" while a worker writes
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
