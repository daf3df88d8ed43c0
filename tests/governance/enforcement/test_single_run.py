"""One run at a time and one beat at a time, on PostgreSQL: starts racing behind a barrier make one run, and two
beat processes running at once send each scheduled job once per period (also when the one sending is killed)."""

import json
import threading
import time

import pytest
import redis as redis_client
from django.db import connections
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from governance.enforcement import services
from governance.enforcement.models import EnforcementChunk, EnforcementRun
from portal.models import NamedLease
from tests import factories
from tests.faults import RedisServer, beat, publishing_to, service_env, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_run_starts_at_once_make_one_run():
    team = factories.TeamFactory(slug="race")
    for index in range(12):
        factories.DataProductFactory(owner_team=team, slug=f"race-{index}")
    barrier = threading.Barrier(8)
    runs, errors = [], []

    def start(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            runs.append(services.enforcement_run_start(trigger="manual" if index % 2 else "schedule", chunk_size=5).pk)
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            connections.close_all()

    # Chunks are published on commit to a broker nobody consumes (eager mode would run them inside the race).
    with publishing_to("memory://"):
        threads = [threading.Thread(target=start, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert len(set(runs)) == 1
    assert EnforcementRun.objects.count() == 1
    assert EnforcementChunk.objects.filter(run_id=runs[0]).count() == 3


@pytest.mark.redis
@pytest.mark.slow
def test_two_beats_send_each_job_once_per_period_even_when_the_sending_one_is_killed(tmp_path):
    PeriodicTask.objects.update(enabled=False)
    every_two, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="test: every 2 s", task="portal.tasks.notification_emails_send", interval=every_two
    )
    broker = RedisServer().start()
    env = service_env(broker.url, MESH_BEAT_LEASE_SECONDS="3")
    client = redis_client.Redis.from_url(broker.url)
    sent: list[tuple[float, str]] = []
    stop = threading.Event()

    def listen() -> None:  # stamp each message as it arrives in the queue nobody consumes
        while not stop.is_set():
            item = client.blpop(["celery"], timeout=0.5)
            if item:
                message = json.loads(item[1])
                sent.append((time.monotonic(), message["headers"]["task"]))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    beats = [beat(env, tmp_path, "beat-a"), beat(env, tmp_path, "beat-b")]
    try:
        wait_until(lambda: len(sent) >= 4, timeout=40, message="beats sending")
        holder = NamedLease.objects.get(name="celery-beat").owner
        leader = next(process for process in beats if f":{process.process.pid}:" in holder)
        leader.kill_group()  # the beat that sends dies without a word; the other takes over
        killed_at = time.monotonic()
        wait_until(lambda: len([t for t, _ in sent if t > killed_at]) >= 4, timeout=40, message="the standby sending")
    finally:
        for process in beats:
            process.stop()
        stop.set()
        listener.join(timeout=5)
        broker.stop()
    times = [at for at, task in sent if task == "portal.tasks.notification_emails_send"]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) >= 8
    assert min(gaps) > 1.0, gaps  # never two sends of one period (two beats would send every job twice)
    assert NamedLease.objects.get(name="celery-beat").owner != holder
