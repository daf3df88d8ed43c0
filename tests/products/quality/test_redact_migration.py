"""Migration 0007 takes the values earlier check runs stored out of results, incidents, the audit history, the
owners' notifications and the webhook outbox, and leaves everything else as it was."""

from importlib import import_module

import pytest
from django.apps import apps

from portal.models import AuditEvent, Notification
from products.models import OutboxEvent
from products.quality.models import CheckResult, Incident
from tests import factories
from tests.products.quality.leaks import SECRET

pytestmark = pytest.mark.django_db

migration = import_module("products.migrations.0007_quality_redact_stored_values")

DB_ERROR = (
    f'invalid input syntax for type integer: "{SECRET}"\n'
    f"LINE 1: SELECT CAST(note AS integer) FROM shop.orders WHERE note = '{SECRET}'\n"
    "               ^"
)
REDACTED = 'invalid input syntax for type integer: "…"'


def _incident(product, check, summary):
    incident = Incident.objects.create(product=product, quality_check=check, kind="breach", summary=summary)
    AuditEvent.objects.create(
        action="quality_incident.open", target_type="products.dataproduct", target_id=str(product.pk), comment=summary
    )
    AuditEvent.objects.create(
        action="quality_incident.resolve",
        target_type="products.dataproduct",
        target_id=str(product.pk),
        comment=summary,
    )
    return incident


def test_stored_values_are_redacted_and_nothing_else_changes(product, owner):
    endpoint = factories.WebhookEndpointFactory()
    sql_check = factories.QualityCheckFactory(product=product, name="probe", kind="custom_sql")
    text_check = factories.QualityCheckFactory(product=product, name="text", kind="custom_sql")
    pushed = factories.QualityCheckFactory(product=product, name="dbt", kind="external")
    errored = factories.CheckResultFactory(quality_check=sql_check, state="error", message=DB_ERROR)
    texted = factories.CheckResultFactory(
        quality_check=text_check,
        state="error",
        message=f"The query must return a number in its first column, got '{SECRET}'.",
    )
    passed = factories.CheckResultFactory(quality_check=sql_check, state="passed", message="Value 3 >= 0 is True.")
    deleted = factories.CheckResultFactory(
        quality_check=sql_check, state="error", message="The check was deleted before it ran."
    )
    from_pipeline = factories.CheckResultFactory(
        quality_check=pushed, state="error", source="push", message="dbt: 3 rows failed"
    )

    summary = f"Check “probe” could not run: {DB_ERROR}"[:500]
    incident = _incident(product, sql_check, summary)
    Notification.objects.create(
        recipient=owner,
        kind="quality.incident",
        title=f"{product.name}: {summary}"[:200],
        dedupe_key=f"quality-incident:{incident.pk}:opened",
    )
    event = OutboxEvent.objects.create(
        event_id="00000000-0000-0000-0000-000000000001",
        endpoint=endpoint,
        kind="quality.incident.opened",
        payload={"kind": "quality.incident.opened", "incident": {"id": incident.pk, "summary": summary}},
    )
    pipeline_summary = "Check “dbt” could not run: dbt: 3 rows failed"
    pipeline_incident = _incident(product, pushed, pipeline_summary)

    migration.redact_stored_values(apps, None)

    for row in (errored, texted, passed, deleted, from_pipeline, incident, pipeline_incident, event):
        row.refresh_from_db()
    assert errored.message == REDACTED
    assert texted.message == "The query must return one number."
    assert passed.message == "Value 3 >= 0 is True."
    assert deleted.message == "The check was deleted before it ran."
    assert from_pipeline.message == "dbt: 3 rows failed"
    assert incident.summary == f"Check “probe” could not run: {REDACTED}"
    assert pipeline_incident.summary == pipeline_summary
    assert set(AuditEvent.objects.filter(comment__startswith="Check “probe”").values_list("comment", flat=True)) == {
        incident.summary
    }
    assert AuditEvent.objects.filter(comment=pipeline_summary).count() == 2
    assert Notification.objects.get().title == f"Customer 360: {incident.summary}"
    assert event.payload["incident"]["summary"] == incident.summary
    stored = [
        *CheckResult.objects.values_list("message", flat=True),
        *Incident.objects.values_list("summary", flat=True),
        *AuditEvent.objects.values_list("comment", flat=True),
        *Notification.objects.values_list("title", flat=True),
        str(event.payload),
    ]
    assert not [text for text in stored if "s3cr3t" in text]

    migration.redact_stored_values(apps, None)  # a second run changes nothing
    incident.refresh_from_db()
    assert incident.summary == f"Check “probe” could not run: {REDACTED}"
