"""Where a check's outcome travels, and the assertion that a planted secret reaches none of it."""

from portal.models import AuditEvent, Notification
from products.models import OutboxEvent
from products.quality import services as quality_services
from products.quality.models import CheckResult, Incident
from tests import factories

SECRET = "s3cr3t-leak@example.com"
SECRET_PARTS = ("s3cr3t", "leak@example")


def custom_check(port, name: str, sql: str, *, operator: str = ">=", threshold: float = 0):
    return factories.QualityCheckFactory(
        product=port.product,
        port=port,
        name=name,
        kind="custom_sql",
        params={"sql": sql, "operator": operator, "threshold": threshold},
        dimension="accuracy",
    )


def run_checks(product, django_capture_on_commit_callbacks=None):
    """A whole run as the schedule starts it: every enabled check recorded, the product evaluated."""
    if django_capture_on_commit_callbacks is None:  # transaction=True tests: on_commit runs at once
        return quality_services.quality_run_start(actor=None, product=product)
    with django_capture_on_commit_callbacks(execute=True):
        return quality_services.quality_run_start(actor=None, product=product)


def assert_secret_reaches_nobody(client_for, product, readers, recipients, *, expect_incidents: int) -> None:
    """The secret is in no stored text and no page or API response the check's outcome flows to: the quality
    page and the product page (history) for every reader, the incidents API, and the notifications page and
    API of each recipient. ``expect_incidents`` keeps the test honest: outcomes did flow."""
    breaches = Incident.objects.filter(product=product, kind=Incident.Kind.BREACH, resolved_at=None)
    assert breaches.count() == expect_incidents
    assert Notification.objects.filter(kind="quality.incident").exists() == bool(expect_incidents)
    assert AuditEvent.objects.filter(action="quality_incident.open", comment__contains="could not run").count() == (
        expect_incidents
    )
    stored = [
        *CheckResult.objects.filter(product=product).values_list("message", flat=True),
        *Incident.objects.values_list("summary", flat=True),
        *AuditEvent.objects.values_list("comment", flat=True),
        *(str(data) for data in AuditEvent.objects.values_list("data", flat=True)),
        *Notification.objects.values_list("title", flat=True),
        *Notification.objects.values_list("body", flat=True),
        *(str(payload) for payload in OutboxEvent.objects.values_list("payload", flat=True)),
    ]
    for text in stored:
        assert not any(part in text for part in SECRET_PARTS), text
    base = f"/products/{product.domain.slug}/{product.slug}/"
    for user in readers:
        client = client_for(user)
        for url in (base, base + "quality/", "/api/v1/quality-incidents/"):
            response = client.get(url)
            assert response.status_code == 200, url
            for part in SECRET_PARTS:
                assert part.encode() not in response.content, (url, user)
    for user in recipients:
        client = client_for(user)
        page = client.get("/notifications/")
        api = client.get("/api/v1/notifications/")
        assert page.status_code == api.status_code == 200
        assert b"could not run" in page.content  # the incident did reach the inbox, without the secret
        for part in SECRET_PARTS:
            assert part.encode() not in page.content and part.encode() not in api.content
