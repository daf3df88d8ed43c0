"""The access jobs on a real Celery worker over Redis: approval publishes provisioning after commit, the worker
provisions the grant and delivers the signed webhook from the outbox."""

import pytest

from products.access import services as access_services
from products.access.models import AccessGrant
from products.models import OutboxEvent
from tests import factories
from tests.celery_worker import celery_worker_redis, wait_for  # noqa: F401 - fixture
from tests.products.access.test_provisioning_webhooks import SECRET
from tests.products.webhook_receiver import Receiver, free_port


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_provisions_grant_and_delivers_webhook(celery_worker_redis, analyst, owner, internal_port, settings):  # noqa: F811
    settings.MESH_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    port_number = free_port()
    receiver = Receiver(port_number, SECRET)
    receiver.start()
    try:
        factories.WebhookEndpointFactory(url=f"http://127.0.0.1:{port_number}/hooks", secret=SECRET)
        access_request = access_services.access_request_create(
            actor=analyst, port=internal_port, purpose="Report", duration_days=30
        )
        access_services.access_request_approve(actor=owner, access_request=access_request)
        grant = AccessGrant.objects.get(request=access_request)
        wait_for(lambda: AccessGrant.objects.get(pk=grant.pk).provisioning_state == "provisioned")
        wait_for(lambda: OutboxEvent.objects.filter(delivered_at__isnull=False).count() == 1)
        event = OutboxEvent.objects.get()
        assert receiver.arrivals == {str(event.event_id): 1} and receiver.bad_signatures == 0
    finally:
        receiver.stop()
