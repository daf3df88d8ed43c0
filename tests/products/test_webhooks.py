"""The outbox has one rule for who hears of what (``WebhookEndpoint.wants``), and every event goes through
``webhooks.webhook_event_record``: grants from access, incidents from quality."""

import pytest

from products.models import OutboxEvent
from products.quality import services as quality_services
from products.webhooks import webhook_event_record
from tests import factories
from tests.products.access.support import grant_for

pytestmark = pytest.mark.django_db


def test_endpoint_without_event_kinds_receives_grant_and_incident_events(
    product, owner, approver, analyst, demo_warehouse, django_capture_on_commit_callbacks
):
    everything = factories.WebhookEndpointFactory(event_kinds=[])
    grants_only = factories.WebhookEndpointFactory(event_kinds=["grant.provisioned"])
    port = factories.OutputPortFactory(product=product, name="stock", warehouse=demo_warehouse, table="stock_levels")
    with django_capture_on_commit_callbacks(execute=True):
        grant_for(analyst, port, approvers=[approver])
    factories.QualityCheckFactory(
        product=product, port=port, kind="row_count", params={"min_rows": 10**9}, dimension="coverage"
    )
    with django_capture_on_commit_callbacks(execute=True):
        quality_services.quality_run_start(actor=None, product=product)

    kinds_for = {
        endpoint: sorted(OutboxEvent.objects.filter(endpoint=endpoint).values_list("kind", flat=True))
        for endpoint in (everything, grants_only)
    }
    assert kinds_for[everything] == ["grant.provisioned", "quality.incident.opened"]
    assert kinds_for[grants_only] == ["grant.provisioned"]


def test_recording_the_same_occurrence_twice_is_one_event():
    endpoint = factories.WebhookEndpointFactory(event_kinds=[])
    first = webhook_event_record("product.deprecated", {"product": "urn:x"}, key="42")
    again = webhook_event_record("product.deprecated", {"product": "urn:x"}, key="42")
    assert len(first) == 1 and again == []
    assert OutboxEvent.objects.filter(endpoint=endpoint).count() == 1


def test_inactive_endpoints_and_unwanted_kinds_get_nothing():
    factories.WebhookEndpointFactory(event_kinds=[], active=False)
    factories.WebhookEndpointFactory(event_kinds=["grant.provisioned"])
    assert webhook_event_record("quality.incident.opened", {}, key="1") == []
    assert not OutboxEvent.objects.exists()
