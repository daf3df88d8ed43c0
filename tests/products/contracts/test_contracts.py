"""A product keeps its promises to consumers: breaking changes need a new major on every path (page, API, admin),
every kind of consumer hears once (inbox and webhook outbox), declassifications wait for a second pair of eyes,
deprecation sets a sunset and retirement waits for it, scheduled changes are applied once."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from products import services
from products.access.models import AccessGrant, AccessRequest
from products.contracts import services as contracts
from products.contracts.models import Declassification, SchemaVersion
from products.models import Membership, OutboxEvent, OutputPort, SchemaField
from tests import factories

COLUMNS = [
    {"name": "customer_id", "data_type": "integer", "nullable": False, "primary_key": True},
    {"name": "email", "data_type": "string", "classification": "pii"},
    {"name": "segment", "data_type": "string"},
]
BREAKING = [COLUMNS[0], COLUMNS[1]]  # segment removed


@pytest.fixture
def port(owner, product):
    return services.port_save(actor=owner, product=product, name="customers", version="1.0.0", fields=COLUMNS)


@pytest.fixture
def consumers(product, port, other_team, other_owner, analyst):
    """One of each kind: a subscribed person, a subscribed team's member, a grant holder, a downstream owner."""
    subscriber = analyst
    factories.SubscriptionFactory(product=product, user=subscriber)
    team_member = factories.UserFactory(username="teamreader")
    reading_team = factories.TeamFactory(slug="reading-team")
    factories.MembershipFactory(team=reading_team, user=team_member, role=Membership.Role.MEMBER)
    factories.SubscriptionFactory(product=product, team=reading_team, user=None)
    holder = factories.UserFactory(username="holder")
    request = AccessRequest.objects.create(
        requester=holder, port=port, purpose="Reporting.", duration_days=30, status=AccessRequest.Status.APPROVED
    )
    AccessGrant.objects.create(request=request, user=holder, port=port, expires_at=timezone.now() + timedelta(days=30))
    downstream = factories.DataProductFactory(owner_team=other_team, slug="downstream", name="Downstream")
    factories.LineageEdgeFactory(product=downstream, upstream=product)
    factories.WebhookEndpointFactory(name="consumers-hook", event_kinds=["port.schema_changed"])
    return {"subscriber": subscriber, "team member": team_member, "grant holder": holder, "downstream": other_owner}


def _told(user, kind="port.schema_changed"):
    return Notification.objects.filter(recipient=user, kind=kind)


# --- breaking changes on every path -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_service_refuses_a_breaking_change_without_a_major_and_names_it(owner, product, port):
    with pytest.raises(DomainError) as refused:
        services.port_save(actor=owner, product=product, port=port, version="1.1.0", fields=BREAKING)
    assert refused.value.field == "version"
    assert "Column segment was removed" in refused.value.message and "2.0.0" in refused.value.message
    port.refresh_from_db()
    assert port.version == "1.0.0" and port.fields.count() == 3  # nothing half-written


@pytest.mark.django_db
def test_page_refuses_then_accepts_with_a_major_and_every_consumer_hears_once(
    client_for, owner, product, port, consumers, django_capture_on_commit_callbacks
):
    url = f"/products/{product.domain.slug}/{product.slug}/ports/{port.pk}/edit/"
    rows = {"fields-TOTAL_FORMS": "2", "fields-INITIAL_FORMS": "2"}  # as the editor renders it
    for index, column in enumerate(services.port_columns(port)[:2]):
        for key, value in column.items():
            if value is True:
                rows[f"fields-{index}-{key}"] = "on"
            elif value is not False:
                rows[f"fields-{index}-{key}"] = value
    form = {"name": "customers", "kind": "table", "location": "", "description": "", **rows}
    editor = client_for(owner).get(url).content.decode()
    assert "This port has consumers: a breaking change" in editor and "publish it as a new" in editor
    refused = client_for(owner).post(url, {**form, "version": "1.0.0"})
    assert refused.status_code == 200 and "Breaking changes need a new major version" in refused.content.decode()
    assert SchemaVersion.objects.filter(port=port).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client_for(owner).post(url, {**form, "version": "2.0.0"}, follow=True)
    version = SchemaVersion.objects.get(port=port, version="2.0.0")
    assert version.level == "breaking" and [c["kind"] for c in version.changes] == ["removed"]
    # The port has consumers: the change waits for the notice period, and the page names the date.
    assert version.status == "scheduled"
    assert f"it takes effect on {version.effective_at:%Y-%m-%d}" in accepted.content.decode()
    port.refresh_from_db()
    assert port.version == "1.0.0" and port.fields.count() == 3
    for kind, user in consumers.items():
        notes = _told(user)
        assert notes.count() == 1, kind
        assert "Column segment was removed" in notes.get().body
        assert f"Takes effect on {version.effective_at:%Y-%m-%d}" in notes.get().body
    assert not _told(owner).exists()  # the team that made the change is not its consumer
    events = OutboxEvent.objects.filter(kind="port.schema_changed")
    assert events.count() == 1
    assert events.get().payload["changes"][0]["column"] == "segment"
    assert events.get().payload["effective_at"] == version.effective_at.isoformat()
    audit = AuditEvent.objects.get(action="port.schema_schedule", to_state="2.0.0")
    assert (audit.from_state, audit.to_state) == ("1.0.0", "2.0.0")
    later = version.effective_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert contracts.schema_change_apply(version.pk, now=later) == "applied"
        assert contracts.schema_change_apply(version.pk, now=later) == "skipped"
    port.refresh_from_db()
    assert port.version == "2.0.0" and port.fields.count() == 2
    for kind, user in consumers.items():
        assert _told(user).count() == 1, kind  # told once, when it was scheduled
    assert OutboxEvent.objects.filter(kind="port.schema_changed").count() == 1


@pytest.mark.django_db
def test_api_refuses_then_accepts_with_a_major(
    api_for, owner, product, port, consumers, django_capture_on_commit_callbacks
):
    api = api_for(owner)
    body = {"product": product.pk, "name": "customers", "kind": "table", "version": "1.0.0", "fields": BREAKING}
    refused = api.put(f"/api/v1/ports/{port.pk}/", body, format="json")
    assert refused.status_code == 400 and "version" in refused.json()
    assert "segment" in refused.json()["version"][0]
    with django_capture_on_commit_callbacks(execute=True):
        accepted = api.put(f"/api/v1/ports/{port.pk}/", {**body, "version": "2.0.0"}, format="json")
    assert accepted.status_code == 200, accepted.content
    scheduled = SchemaVersion.objects.get(port=port, version="2.0.0", status="scheduled")
    answer = accepted.json()
    assert answer["version"] == "1.0.0" and len(answer["fields"]) == 3  # unchanged until the date
    assert answer["scheduled_change"]["version"] == "2.0.0"
    assert answer["scheduled_change"]["id"] == scheduled.pk
    assert answer["scheduled_change"]["effective_at"].startswith(f"{scheduled.effective_at:%Y-%m-%d}")
    assert list(port.fields.values_list("name", flat=True)) == ["customer_id", "email", "segment"]
    for kind, user in consumers.items():
        assert _told(user).count() == 1, kind
    assert api.get(f"/api/v1/ports/{port.pk}/").json()["scheduled_change"] is None


@pytest.mark.django_db
def test_api_applies_a_breaking_change_at_once_to_a_port_nobody_consumes(api_for, owner, product, port):
    body = {"product": product.pk, "name": "customers", "kind": "table", "version": "2.0.0", "fields": BREAKING}
    answer = api_for(owner).put(f"/api/v1/ports/{port.pk}/", body, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["version"] == "2.0.0" and answer.json()["scheduled_change"] is None
    assert SchemaVersion.objects.get(port=port, version="2.0.0").status == "applied"


@pytest.mark.django_db
def test_a_second_breaking_change_waits_behind_the_first_one_refused(owner, product, port, consumers):
    services.port_save(actor=owner, product=product, port=port, version="2.0.0", fields=BREAKING)
    with pytest.raises(DomainError) as refused:
        services.port_save(actor=owner, product=product, port=port, version="2.0.0", fields=[COLUMNS[0]])
    assert refused.value.field == "version" and "already has a change waiting" in refused.value.message


@pytest.mark.django_db
def _admin_form(product, port):
    fields = list(port.fields.all())
    form = {
        "product": product.pk,
        "name": "customers",
        "kind": "table",
        "location": "",
        "description": "",
        "table": "",
        "warehouse": "",
        "fields-TOTAL_FORMS": "3",
        "fields-INITIAL_FORMS": "3",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
    }
    for index, field in enumerate(fields):
        form |= {
            f"fields-{index}-id": field.pk,
            f"fields-{index}-port": port.pk,
            f"fields-{index}-name": field.name,
            f"fields-{index}-data_type": field.data_type,
            f"fields-{index}-classification": field.classification,
            f"fields-{index}-description": "",
        }
        if not field.nullable:
            form[f"fields-{index}-nullable"] = ""
        else:
            form[f"fields-{index}-nullable"] = "on"
        if field.primary_key:
            form[f"fields-{index}-primary_key"] = "on"
    form["fields-2-DELETE"] = "on"  # segment removed
    return form


@pytest.mark.django_db
def test_admin_refuses_then_accepts_with_a_major_at_once_when_nobody_consumes(client_for, admin_user, product, port):
    form = _admin_form(product, port)
    client = client_for(admin_user)
    url = f"/admin/products/outputport/{port.pk}/change/"
    refused = client.post(url, {**form, "version": "1.0.0"}, follow=True)
    assert "Breaking changes need a new major version" in refused.content.decode()
    assert port.fields.count() == 3
    accepted = client.post(url, {**form, "version": "2.0.0"})
    assert accepted.status_code == 302
    port.refresh_from_db()
    assert port.version == "2.0.0" and port.fields.count() == 2
    assert SchemaVersion.objects.filter(port=port, version="2.0.0", level="breaking", status="applied").exists()


@pytest.mark.django_db
def test_admin_schedules_a_breaking_change_to_a_consumed_port_and_says_when(
    client_for, admin_user, product, port, consumers
):
    form = _admin_form(product, port)
    url = f"/admin/products/outputport/{port.pk}/change/"
    answer = client_for(admin_user).post(url, {**form, "version": "2.0.0"}, follow=True)
    scheduled = SchemaVersion.objects.get(port=port, version="2.0.0", status="scheduled")
    assert f"it takes effect on {scheduled.effective_at:%Y-%m-%d}" in answer.content.decode()
    port.refresh_from_db()
    assert port.version == "1.0.0" and port.fields.count() == 3


@pytest.mark.django_db
def test_additive_and_patch_changes_move_the_version_on_by_themselves(owner, product, port):
    services.port_save(actor=owner, product=product, port=port, fields=[*COLUMNS, {"name": "country"}])
    port.refresh_from_db()
    assert port.version == "1.1.0"
    described = [*COLUMNS[:2], {**COLUMNS[2], "description": "Marketing segment."}, {"name": "country"}]
    services.port_save(actor=owner, product=product, port=port, fields=described)
    port.refresh_from_db()
    assert port.version == "1.1.1"
    assert list(SchemaVersion.objects.filter(port=port).order_by("pk").values_list("level", flat=True)) == [
        "initial",
        "additive",
        "patch",
    ]


@pytest.mark.django_db
def test_a_draft_changes_freely(owner, draft):
    port = services.port_save(actor=owner, product=draft, name="scores", fields=COLUMNS)
    services.port_save(actor=owner, product=draft, port=port, fields=BREAKING)
    port.refresh_from_db()
    assert port.version == "1.0.1" and port.fields.count() == 2


# --- declassification ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_lowering_a_classification_waits_for_a_reviewer_who_is_not_the_requester(
    owner, member, product, port, analyst, django_capture_on_commit_callbacks
):
    unclassified = [COLUMNS[0], {**COLUMNS[1], "classification": ""}, COLUMNS[2]]
    services.port_save(actor=owner, product=product, port=port, fields=unclassified)
    email = SchemaField.objects.get(port=port, name="email")
    assert email.classification == "pii"  # still masked
    request = Declassification.objects.get(field=email, status="pending")
    assert request.requested_by == owner and request.to_classification == ""
    with pytest.raises(PermissionDenied):
        contracts.declassification_decide(actor=owner, declassification=request, approve=True)
    with pytest.raises(PermissionDenied):
        contracts.declassification_decide(actor=analyst, declassification=request, approve=True)
    officer = factories.UserFactory(username="dpo")
    officer.groups.add(Group.objects.get_or_create(name="Data protection")[0])
    with django_capture_on_commit_callbacks(execute=True):
        contracts.declassification_decide(actor=officer, declassification=request, approve=True)
    email.refresh_from_db()
    port.refresh_from_db()
    assert email.classification == ""
    assert port.version == "2.0.0"  # a lowered classification is a breaking change
    assert SchemaVersion.objects.get(port=port, version="2.0.0").changes[0]["kind"] == "declassified"
    assert Notification.objects.filter(recipient=owner, kind="declassification.approved").count() == 1


@pytest.mark.django_db
def test_raising_a_classification_applies_at_once(owner, product, port):
    raised = [COLUMNS[0], COLUMNS[1], {**COLUMNS[2], "classification": "sensitive"}]
    services.port_save(actor=owner, product=product, port=port, fields=raised)
    assert SchemaField.objects.get(port=port, name="segment").classification == "sensitive"
    assert not Declassification.objects.exists()


# --- notice, sunset, retirement -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deprecation_sets_a_sunset_and_retirement_waits_for_it(
    owner, product, port, consumers, django_capture_on_commit_callbacks, settings
):
    settings.MESH_NOTICE_DAYS = 30
    too_soon = timezone.now() + timedelta(days=3)
    with pytest.raises(DomainError) as refused:
        services.product_deprecate(actor=owner, product=product, sunset_at=too_soon)
    assert refused.value.field == "sunset_at" and "30 days" in refused.value.message
    with django_capture_on_commit_callbacks(execute=True):
        services.product_deprecate(actor=owner, product=product)
    product.refresh_from_db()
    assert product.status == "deprecated"
    assert product.sunset_at > timezone.now() + timedelta(days=29)
    for kind, user in consumers.items():
        assert _told(user, "product.deprecated").count() == 1, kind
    with pytest.raises(DomainError):
        services.product_retire(actor=owner, product=product)
    product.sunset_at = timezone.now() - timedelta(minutes=1)
    product.save(update_fields=["sunset_at"])
    with django_capture_on_commit_callbacks(execute=True):
        services.product_retire(actor=owner, product=product)
    product.refresh_from_db()
    assert product.status == "retired"
    assert not product.subscriptions.exists()  # subscriptions end, with a notice
    assert _told(consumers["subscriber"], "product.retired").count() == 1


@pytest.mark.django_db
def test_downstream_owners_see_a_warning_on_their_product(client_for, owner, other_owner, product, consumers):
    services.product_deprecate(actor=owner, product=product)
    downstream = consumers["downstream"]
    page = client_for(downstream).get("/products/sales/downstream/")
    assert page.status_code == 200
    assert f"which is deprecated until {product.__class__.objects.get(pk=product.pk).sunset_at:%Y-%m-%d}" in (
        page.content.decode()
    )


# --- scheduled changes ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_scheduled_change_waits_for_the_notice_and_is_applied_once(owner, product, port, consumers, settings):
    settings.MESH_NOTICE_DAYS = 14
    scheduled = contracts.schema_change_schedule(actor=owner, port=port, fields=BREAKING, version="2.0.0")
    assert scheduled.status == "scheduled"
    assert timedelta(days=13) < scheduled.effective_at - timezone.now() <= timedelta(days=14)
    assert contracts.schema_change_apply(scheduled.pk) == "skipped"  # not due yet
    later = scheduled.effective_at + timedelta(minutes=1)
    assert contracts.schema_changes_due(now=later) == [scheduled.pk]
    assert contracts.schema_change_apply(scheduled.pk, now=later) == "applied"
    assert contracts.schema_change_apply(scheduled.pk, now=later) == "skipped"
    port.refresh_from_db()
    assert port.version == "2.0.0" and port.fields.count() == 2
    assert SchemaVersion.objects.filter(port=port, version="2.0.0").count() == 1
    with pytest.raises(DomainError):  # a schedule with no real change, or without a major for a breaking one
        contracts.schema_change_schedule(actor=owner, port=port, fields=BREAKING, version="2.1.0")


@pytest.mark.django_db
def test_only_the_team_schedules_and_cancels(analyst, owner, product, port):
    with pytest.raises(PermissionDenied):
        contracts.schema_change_schedule(actor=analyst, port=port, fields=BREAKING, version="2.0.0")
    scheduled = contracts.schema_change_schedule(actor=owner, port=port, fields=BREAKING, version="2.0.0")
    with pytest.raises(PermissionDenied):
        contracts.schema_change_cancel(actor=analyst, version=scheduled)
    contracts.schema_change_cancel(actor=owner, version=scheduled)
    assert SchemaVersion.objects.get(pk=scheduled.pk).status == "cancelled"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_due_change_is_applied_once_by_a_real_worker(owner, product, port, settings, celery_worker_redis):
    from products.contracts.tasks import schema_changes_apply_due_task
    from tests.celery_worker import wait_for

    scheduled = contracts.schema_change_schedule(actor=owner, port=port, fields=BREAKING, version="2.0.0")
    SchemaVersion.objects.filter(pk=scheduled.pk).update(effective_at=timezone.now() - timedelta(seconds=1))
    schema_changes_apply_due_task.delay()
    schema_changes_apply_due_task.delay()  # twice: one effect
    wait_for(lambda: SchemaVersion.objects.filter(pk=scheduled.pk, status="applied").exists(), timeout=30)
    wait_for(lambda: OutputPort.objects.get(pk=port.pk).version == "2.0.0", timeout=30)
    assert SchemaVersion.objects.filter(port=port, version="2.0.0").count() == 1
    assert AuditEvent.objects.filter(action="port.update", data__version="2.0.0").count() == 1


# --- pages stay cheap -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_history_and_diff_pages_cost_the_same_at_any_length(
    client_for, owner, product, port, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/products/{product.domain.slug}/{product.slug}/ports/{port.pk}/versions/"
    client = client_for(owner)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    added = [{"name": "c0"}]
    services.port_save(actor=owner, product=product, port=port, fields=[*COLUMNS, *added])
    few = count()
    for index in range(1, 12):
        added.append({"name": f"c{index}"})
        port.refresh_from_db()
        services.port_save(actor=owner, product=product, port=port, fields=[*COLUMNS, *added])
    assert SchemaVersion.objects.filter(port=port).count() == 13
    assert count() == few


# --- glossary links of removed columns ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_removed_columns_term_link_is_kept_with_its_version_and_the_steward_told(
    client_for, owner, product, port, analyst
):
    from glossary.models import FormerTermLink, TermLink

    term = factories.TermFactory(name="Segment", domain=product.domain, author=owner)
    steward = factories.StewardFactory(domain=product.domain).user
    factories.TermLinkFactory(term=term, field=SchemaField.objects.get(port=port, name="segment"))
    services.port_save(actor=owner, product=product, port=port, version="2.0.0", fields=BREAKING)
    assert not TermLink.objects.filter(term=term).exists()
    former = FormerTermLink.objects.get(term=term)
    assert (former.column, former.last_version, former.port) == ("segment", "1.0.0", port)
    assert Notification.objects.filter(recipient=steward, kind="glossary.link_removed").count() == 1
    page = client_for(analyst).get(term.get_absolute_url())
    assert "was linked in v1.0.0" in page.content.decode()


@pytest.mark.django_db
def test_the_councils_notice_period_standard_sets_the_notice(owner, product, port, settings):
    from governance.models import Standard

    settings.MESH_NOTICE_DAYS = 30
    factories.StandardFactory(kind="notice_period", rule={"days": 60}, status=Standard.Status.IN_FORCE)
    scheduled = contracts.schema_change_schedule(actor=owner, port=port, fields=BREAKING, version="2.0.0")
    assert scheduled.effective_at - timezone.now() > timedelta(days=59)
    with pytest.raises(DomainError) as refused:
        services.product_deprecate(actor=owner, product=product, sunset_at=timezone.now() + timedelta(days=40))
    assert "60 days" in refused.value.message
