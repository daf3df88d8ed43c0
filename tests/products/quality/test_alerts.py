"""Incidents: a breach opens one incident and one notification to the owning team, reruns change nothing, and
the incident resolves itself (once) when the check passes again. SLA misses likewise; the optional webhook
goes through the outbox once per incident event."""

import pytest

from portal.models import Notification
from products.models import OutboxEvent
from products.quality import services as quality_services
from products.quality.models import CheckResult, Incident
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock_port(product, demo_warehouse):
    return factories.OutputPortFactory(product=product, name="stock", warehouse=demo_warehouse, table="stock_levels")


def _run(product, capture):
    with capture(execute=True):
        run = quality_services.quality_run_start(actor=None, product=product)
    run.refresh_from_db()
    assert run.status == "done"
    return run


def test_incident_opens_once_notifies_once_and_resolves_once(
    stock_port, owner, member, django_capture_on_commit_callbacks
):
    product = stock_port.product
    check = factories.QualityCheckFactory(
        product=product, port=stock_port, kind="row_count", params={"min_rows": 1000}, dimension="coverage"
    )
    _run(product, django_capture_on_commit_callbacks)
    _run(product, django_capture_on_commit_callbacks)  # the job again: same breach
    quality_services.quality_product_evaluate(product.pk)  # and the sweep
    incident = Incident.objects.get()
    assert incident.quality_check == check and incident.resolved_at is None and incident.notified_at
    notes = Notification.objects.filter(kind="quality.incident")
    assert sorted(notes.values_list("recipient__username", flat=True)) == sorted([owner.username, member.username])

    check.params = {"min_rows": 1}
    check.save()
    _run(product, django_capture_on_commit_callbacks)
    _run(product, django_capture_on_commit_callbacks)
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    resolved_at = incident.resolved_at
    quality_services.quality_product_evaluate(product.pk)
    incident.refresh_from_db()
    assert incident.resolved_at == resolved_at and Incident.objects.count() == 1
    assert Notification.objects.filter(kind="quality.incident").count() == 2  # still one per person


def test_a_new_breach_after_resolution_opens_a_new_incident(stock_port, owner):
    product = stock_port.product
    check = factories.QualityCheckFactory(product=product, port=stock_port, dimension="coverage")
    for state in ("failed", "passed", "failed"):
        factories.CheckResultFactory(quality_check=check, state=state)
        quality_services.quality_product_evaluate(product.pk)
    assert Incident.objects.filter(quality_check=check).count() == 2
    assert Incident.objects.filter(quality_check=check, resolved_at=None).count() == 1


def test_one_open_incident_per_check_is_a_database_constraint(stock_port):
    from django.db import IntegrityError, transaction

    check = factories.QualityCheckFactory(product=stock_port.product, port=stock_port)
    Incident.objects.create(product=check.product, quality_check=check, kind="breach", summary="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(product=check.product, quality_check=check, kind="breach", summary="y")


def test_missed_freshness_sla_opens_an_sla_incident_and_resolves(stock_port, owner):
    from datetime import timedelta

    from django.utils import timezone

    product = stock_port.product
    check = factories.QualityCheckFactory(
        product=product, port=stock_port, kind="freshness", column="measured_at", params={"max_age_minutes": 15}
    )
    now = timezone.now()
    for hours in range(10):
        factories.CheckResultFactory(quality_check=check, state="failed", measured_at=now - timedelta(hours=hours))
    quality_services.quality_product_evaluate(product.pk, now=now)
    sla = {m["metric"]: m for m in quality_services.quality_sla(product, now=now)}
    assert sla["freshness"]["met_percent"] == 0 and sla["freshness"]["budget_left_percent"] == 0
    assert sla["availability"]["met_percent"] == 100
    assert Incident.objects.filter(kind="sla_miss", metric="freshness", resolved_at=None).count() == 1
    CheckResult.objects.filter(quality_check=check).update(state="passed")
    quality_services.quality_product_evaluate(product.pk, now=now)
    assert not Incident.objects.filter(resolved_at=None).exists()


def test_error_budget_is_the_share_of_allowed_shortfall_left(stock_port):
    product = stock_port.product
    product.completeness_percent = 95
    product.save(update_fields=["completeness_percent"])
    check = factories.QualityCheckFactory(
        product=product, port=stock_port, kind="completeness", column="sku", params={"min_percent": 90}
    )
    for value in (97.0, 99.0):
        factories.CheckResultFactory(quality_check=check, state="passed", observed_value=value)
    completeness = {m["metric"]: m for m in quality_services.quality_sla(product)}["completeness"]
    assert completeness["met_percent"] == 98.0  # target 95 %: 5 % may fall short, 2 % did → 60 % of the budget left
    assert completeness["budget_left_percent"] == 60.0 and completeness["ok"] and completeness["status"] == "met"


def test_incident_webhook_goes_through_the_outbox_once(stock_port, owner):
    factories.WebhookEndpointFactory(event_kinds=["quality.incident.opened", "quality.incident.resolved"])
    factories.WebhookEndpointFactory(event_kinds=["grant.provisioned"])  # not interested
    check = factories.QualityCheckFactory(product=stock_port.product, port=stock_port)
    factories.CheckResultFactory(quality_check=check, state="failed")
    quality_services.quality_product_evaluate(check.product_id)
    quality_services.quality_product_evaluate(check.product_id)
    assert list(OutboxEvent.objects.values_list("kind", flat=True)) == ["quality.incident.opened"]
    factories.CheckResultFactory(quality_check=check, state="passed")
    quality_services.quality_product_evaluate(check.product_id)
    assert OutboxEvent.objects.filter(kind="quality.incident.resolved").count() == 1
    payload = OutboxEvent.objects.get(kind="quality.incident.resolved").payload
    assert payload["product"] == check.product.urn and payload["incident"]["resolved_at"]


def test_sweep_resumes_a_run_whose_messages_were_lost(stock_port, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from products.quality.models import CheckRun

    check = factories.QualityCheckFactory(product=stock_port.product, port=stock_port, params={"min_rows": 1})
    run = CheckRun.objects.create(
        product=stock_port.product,
        check_ids=[check.pk],
        total=1,
        created_at=timezone.now() - timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert quality_services.quality_sweep()["resumed"] == 1
    run.refresh_from_db()
    assert run.status == "done" and run.results.get().state == "passed"
    assert quality_services.quality_sweep()["resumed"] == 0
