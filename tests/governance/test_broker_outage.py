"""The broker killed (connection refused, and it comes back empty) or hung (SIGSTOP: the port accepts, nobody
answers) while the chair closes a vote, an owner approves an access request and an admin starts an enforcement
run, through the pages: every request answers within 5 s without a 500 and its change is committed; once the
broker is back, the sweeps (beat's jobs, sent here by the test every second) send everything, and every job runs
exactly once: the grant is provisioned and its webhook arrives once, the run finishes with each chunk counted once,
and each e-mail goes once.

Real worker processes over a Redis of the test's own, against the PostgreSQL test database."""

import time
from email import message_from_bytes

import pytest
from django.test import Client

from governance import services as governance_services
from governance.enforcement.models import EnforcementRun
from governance.enforcement.tasks import enforcement_runs_sweep
from governance.models import Proposal
from portal.models import AuditEvent, Notification
from portal.services import task_publish
from portal.tasks import notification_emails_send
from products.access import services as access_services
from products.access.models import AccessGrant
from products.access.tasks import grants_sync_sweep_task
from products.models import OutboxEvent, webhook_secret_new
from products.tasks import outbox_sweep_task
from tests import factories
from tests.celery_worker import broker_connections_reset
from tests.faults import RedisServer, publishing_to, service_env, wait_until, worker
from tests.products.conftest import demo_warehouse, internal_port  # noqa: F401 - fixtures, by name
from tests.products.webhook_receiver import Receiver, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SWEEPS = [enforcement_runs_sweep, grants_sync_sweep_task, outbox_sweep_task, notification_emails_send]


def _timed(client: Client, path: str) -> float:
    started = time.monotonic()
    response = client.post(path)
    took = time.monotonic() - started
    assert response.status_code < 500 and response.status_code in (200, 302), (path, response.status_code)
    assert took < 5, (path, took)
    return took


def _mails(folder) -> list[tuple[str, str]]:
    sent = []
    for path in folder.glob("*.log"):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                message = message_from_bytes(chunk.strip())
                sent.append((message["To"], message["Subject"]))
    return sent


@pytest.mark.parametrize("fault", ["killed", "hung"])
def test_requests_answer_and_every_job_runs_once_after_the_broker_returns(
    request, fault, tmp_path, settings, open_proposal, seated, owner, analyst, admin_user
):
    port = request.getfixturevalue("internal_port")
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True
    settings.MESH_LEASE_REDISPATCH_SECONDS = 5  # chunks published to the broker that died come back quickly
    chair, council_member, sales_rep = seated
    for holder in seated:  # every seat voted: the chair may close early
        governance_services.vote_cast(actor=holder, proposal=open_proposal, choice="for")
    for index, user in enumerate([chair, council_member, sales_rep, owner, analyst]):
        user.email = f"person{index}@example.com"
        user.save(update_fields=["email"])
    team = factories.TeamFactory(slug="outage")
    for index in range(12):
        factories.DataProductFactory(owner_team=team, slug=f"outage-{index}")
    secret = webhook_secret_new()
    receiver = Receiver(free_port(), secret).start()
    factories.WebhookEndpointFactory(url=receiver.url, secret=secret, event_kinds=["grant.provisioned"])
    access_request = access_services.access_request_create(
        actor=analyst, port=port, purpose="Churn analysis", duration_days=30
    )
    Notification.objects.update(emailed_at=None, email_wanted=False)  # what came before is not this test's
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    broker = RedisServer().start()
    env = service_env(
        broker.url,
        MESH_LEASE_SECONDS="4",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    process = worker(env, tmp_path, f"outage-{fault}")
    try:
        with publishing_to(broker.url):
            if fault == "killed":
                broker.kill()
            else:
                broker.hang()
            chair_client, owner_client, admin_client = Client(), Client(), Client()
            chair_client.force_login(chair)
            owner_client.force_login(owner)
            admin_client.force_login(admin_user)
            _timed(chair_client, f"/governance/proposals/{open_proposal.pk}/close/")
            _timed(owner_client, f"/products/access/requests/{access_request.pk}/approve/")
            _timed(admin_client, "/governance/enforcement/start/")

            # Committed, whatever the broker did.
            assert Proposal.objects.get(pk=open_proposal.pk).status != "open"
            grant = AccessGrant.objects.get(request=access_request)
            assert grant.provisioning_state == "pending"
            run = EnforcementRun.objects.get(status="running")
            wanted = set(Notification.objects.filter(email_wanted=True).values_list("pk", flat=True))
            assert wanted  # the outcome of the vote, the decision on the request

            if fault == "killed":
                broker = RedisServer.on_port(broker.port).start()  # back, and empty
            else:
                broker.resume()
            broker_connections_reset()

            def all_done() -> bool:
                for sweep in SWEEPS:  # beat's part
                    task_publish(sweep)
                return (
                    EnforcementRun.objects.filter(pk=run.pk, status="done").exists()
                    and AccessGrant.objects.filter(pk=grant.pk, provisioning_state="provisioned").exists()
                    and not OutboxEvent.objects.filter(delivered_at=None).exists()
                    and not Notification.objects.filter(pk__in=wanted, emailed_at=None).exists()
                    and len(receiver.processed) == 1
                )

            try:
                wait_until(all_done, timeout=120, interval=1, message="every job run after the broker returned")
            except AssertionError:
                run.refresh_from_db()
                grant.refresh_from_db()
                state = (
                    run.status,
                    run.chunks_done,
                    grant.provisioning_state,
                    list(OutboxEvent.objects.values_list("delivered_at", "last_error")),
                    receiver.arrivals,
                )
                raise AssertionError(f"not all done: {state}") from None
            time.sleep(2)  # anything sent twice would arrive now
    finally:
        process.stop()
        broker.stop()
        receiver.stop()

    run.refresh_from_db()
    assert (run.chunks_done, run.products_checked) == (run.chunks_total, run.products_total)
    assert AuditEvent.objects.filter(action="grant.provisioned", target_id=str(grant.pk)).count() == 1
    event = OutboxEvent.objects.get(kind="grant.provisioned")
    assert receiver.arrivals == {str(event.event_id): 1}
    sent = _mails(mail_dir)
    assert len(sent) == len(set(sent)) == len(wanted)
