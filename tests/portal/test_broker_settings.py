"""The broker as configured: publishes give up after short timeouts (a hung or dead broker delays work, never a
response), and the demo's filesystem broker keeps all its folders under var/."""

import time

import pytest
from django.conf import settings

from portal.services import task_publish
from portal.tasks import notification_emails_send
from tests.faults import closed_port, publishing_to


def test_the_broker_options_bound_every_wait():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for folder in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            assert options[folder].startswith(str(settings.VAR_DIR)), folder
    else:
        assert options["socket_timeout"] <= 2 and options["socket_connect_timeout"] <= 2
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 2


@pytest.mark.django_db
def test_a_publish_to_a_dead_broker_gives_up_quickly_and_the_next_ones_do_not_wait():
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        assert task_publish(notification_emails_send) is False
        assert time.monotonic() - started < 2 * settings.MESH_BROKER_TIMEOUT + 1
        started = time.monotonic()
        assert task_publish(notification_emails_send) is False  # resting: no second wait
        assert time.monotonic() - started < 0.1
