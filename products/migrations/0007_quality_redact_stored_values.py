"""Take out the data that earlier check runs wrote where every reader of a product sees it.

Before, an error outcome stored the database's whole message (which can quote a row's value, e.g. ``invalid input
syntax for type integer: "alice@example.com"``) and a custom SQL check that returned text stored that text ("got
'…'"). Those texts went on into the incident summary, the owners' notifications, the audit history and the
incident webhooks. This migration rewrites exactly those:

- results the runner recorded as errors (``source=runner``, ``state=error``): the message's first line, with every
  quoted part and every number blanked; the "must return a number, got …" message becomes "must return one number";
- incidents of run checks (not pushed ones) whose summary is "Check “<name>” could not run: <message>": the same
  rewrite of the message part;
- the audit rows (``quality_incident.open`` / ``.resolve``) whose comment was that summary, the owners'
  notifications of that incident (dedupe key ``quality-incident:<id>:opened``) and its webhook outbox events.

Results that passed or failed carry the portal's own figures and are left alone, as are pushed results (their
text is the pipeline's). The redaction is a frozen copy of ``products.quality.runner.text_redact``.
"""

import re

from django.db import migrations

QUOTED = re.compile(r"\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:0x[0-9a-fA-F]+|\d+(?:[.,]\d+)*)(?![\w])")
NOT_A_NUMBER = "The query must return a number in its first column"
INCIDENT_KINDS = ("quality.incident.opened", "quality.incident.resolved")


def redact(message: str) -> str:
    if message.startswith(NOT_A_NUMBER):
        return "The query must return one number."
    line = next((part.strip() for part in (message or "").splitlines() if part.strip()), "")
    return NUMBER.sub("#", QUOTED.sub('"…"', line))[:500]


def redact_stored_values(apps, schema_editor):
    CheckResult = apps.get_model("products", "CheckResult")
    Incident = apps.get_model("products", "Incident")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    Notification = apps.get_model("portal", "Notification")
    OutboxEvent = apps.get_model("products", "OutboxEvent")

    for result in CheckResult.objects.filter(source="runner", state="error").only("pk", "message").iterator():
        message = redact(result.message)
        if message != result.message:
            CheckResult.objects.filter(pk=result.pk).update(message=message)

    summaries = {}  # incident id -> (old summary, new summary)
    incidents = (
        Incident.objects.filter(kind="breach", quality_check__isnull=False)
        .exclude(quality_check__kind="external")
        .select_related("quality_check")
    )
    for incident in incidents.iterator():
        prefix = f"Check “{incident.quality_check.name}” could not run: "
        if not incident.summary.startswith(prefix):
            continue
        summary = (prefix + redact(incident.summary[len(prefix) :])).strip()[:500]
        if summary != incident.summary:
            Incident.objects.filter(pk=incident.pk).update(summary=summary)
            summaries[incident.pk] = (incident.product_id, incident.summary, summary)

    for incident_id, (product_id, old, new) in summaries.items():
        AuditEvent.objects.filter(
            action__in=("quality_incident.open", "quality_incident.resolve"),
            target_type="products.dataproduct",
            target_id=str(product_id),
            comment=old,
        ).update(comment=new)
        for notification in Notification.objects.filter(
            kind="quality.incident", dedupe_key=f"quality-incident:{incident_id}:opened"
        ):
            cut = notification.title.find(": Check “")
            name = notification.title[:cut] if cut >= 0 else ""
            notification.title = f"{name}: {new}"[:200] if name else new[:200]
            notification.save(update_fields=["title"])

    if summaries:
        for event in OutboxEvent.objects.filter(kind__in=INCIDENT_KINDS):
            incident = (event.payload or {}).get("incident") or {}
            if incident.get("id") in summaries:
                incident["summary"] = summaries[incident["id"]][2]
                event.save(update_fields=["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0006_access_schedules"),
        ("portal", "0001_initial"),
    ]

    operations = [migrations.RunPython(redact_stored_values, migrations.RunPython.noop)]
