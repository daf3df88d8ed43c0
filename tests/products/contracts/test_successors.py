"""A breaking schema shipped at once as a new port: the new port (next major) is published now, the old port keeps
a sunset at least the notice period away and its consumers are told once; at the sunset a job retires the old port,
revoking its grants, rejecting pending requests and closing its previews, once however often it runs."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from products import services as catalog
from products.access import services as access_services
from products.access.models import AccessGrant
from products.contracts import successors
from products.contracts.models import SchemaVersion
from products.models import OutboxEvent, OutputPort
from tests import factories
from tests.products.access.support import grant_for

pytestmark = pytest.mark.django_db

V2 = [
    {"name": "customer_id", "data_type": "string", "nullable": False, "primary_key": True},  # type changed
    {"name": "email", "data_type": "string", "classification": "pii"},
    {"name": "country", "data_type": "string"},
]


@pytest.fixture
def consumers(analyst, owner, other_team, other_owner, internal_port):
    """A grant holder on the port, a subscriber, a downstream owner, and someone whose request is pending."""
    factories.WebhookEndpointFactory(name="consumers-hook", event_kinds=["port.deprecated", "port.retired"])
    grant = grant_for(analyst, internal_port, approvers=[owner])
    subscriber = factories.UserFactory(username="sub")
    factories.SubscriptionFactory(product=internal_port.product, user=subscriber)
    downstream = factories.DataProductFactory(owner_team=other_team, slug="downstream", name="Downstream")
    factories.LineageEdgeFactory(product=downstream, upstream=internal_port.product)
    cleo = factories.UserFactory(username="cleo")
    pending = access_services.access_request_create(actor=cleo, port=internal_port, purpose="Report", duration_days=30)
    return {
        "grant holder": analyst,
        "subscriber": subscriber,
        "downstream": other_owner,
        "grant": grant,
        "pending": pending,
        "downstream_product": downstream,
    }


PEOPLE = ("grant holder", "subscriber", "downstream")


def _publish(owner, port, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return successors.port_successor_publish(actor=owner, port=port, name="contacts_v2", fields=V2, **extra)


def test_the_new_port_is_published_now_and_the_old_one_keeps_a_sunset(
    owner, internal_port, consumers, settings, django_capture_on_commit_callbacks
):
    settings.MESH_NOTICE_DAYS = 30
    successor = _publish(owner, internal_port, django_capture_on_commit_callbacks)
    internal_port.refresh_from_db()
    assert (successor.name, successor.version, successor.kind) == ("contacts_v2", "2.0.0", "table")
    assert successor.warehouse_id == internal_port.warehouse_id
    assert list(successor.fields.values_list("name", flat=True)) == ["customer_id", "email", "country"]
    assert SchemaVersion.objects.get(port=successor).level == "initial"
    assert internal_port.successor == successor and internal_port.retired_at is None
    assert timedelta(days=29) < internal_port.sunset_at - timezone.now() <= timedelta(days=30)
    assert internal_port.fields.count() == 7 and internal_port.version == "1.0.0"  # the old port is untouched
    for kind in PEOPLE:
        notes = Notification.objects.filter(recipient=consumers[kind], kind="port.deprecated")
        assert notes.count() == 1, kind
        assert "contacts_v2" in notes.get().title
    assert not Notification.objects.filter(recipient=owner, kind="port.deprecated").exists()
    event = OutboxEvent.objects.get(kind="port.deprecated")
    assert event.payload["successor"] == "contacts_v2" and event.payload["sunset_at"] == (
        internal_port.sunset_at.isoformat()
    )
    audit = AuditEvent.objects.get(action="port.deprecated")
    assert (audit.from_state, audit.to_state, audit.data["successor"]) == ("1.0.0", "2.0.0", "contacts_v2")


def test_the_new_port_is_refused_without_notice_a_new_major_or_a_free_name(owner, analyst, internal_port, settings):
    settings.MESH_NOTICE_DAYS = 30
    publish = successors.port_successor_publish
    with pytest.raises(DomainError) as refused:
        publish(actor=owner, port=internal_port, name="contacts_v2", fields=V2, sunset_at=timezone.now())
    assert refused.value.field == "sunset_at" and "30 days" in refused.value.message
    with pytest.raises(DomainError) as refused:
        publish(actor=owner, port=internal_port, name="contacts_v2", fields=V2, version="1.5.0")
    assert refused.value.field == "version" and "2.0.0" in refused.value.message
    with pytest.raises(DomainError) as refused:
        publish(actor=owner, port=internal_port, name="contacts", fields=V2)
    assert refused.value.field == "name"
    with pytest.raises(PermissionDenied):
        publish(actor=analyst, port=internal_port, name="contacts_v2", fields=V2)
    assert OutputPort.objects.filter(product=internal_port.product).count() == 1
    publish(actor=owner, port=internal_port, name="contacts_v2", fields=V2)
    with pytest.raises(DomainError) as refused:
        publish(actor=owner, port=internal_port, name="contacts_v3", fields=V2, version="3.0.0")
    assert refused.value.field == "port" and "already deprecated" in refused.value.message


def test_a_drafts_port_changes_in_place_instead(owner, draft):
    port = catalog.port_save(actor=owner, product=draft, name="scores", fields=[{"name": "id"}])
    with pytest.raises(DomainError) as refused:
        successors.port_successor_publish(actor=owner, port=port, name="scores_v2", fields=[{"name": "key"}])
    assert "draft" in refused.value.message


def test_the_page_proposes_the_next_port_and_publishes_it(client_for, owner, internal_port, consumers):
    product = internal_port.product
    url = reverse("products:port-successor", args=[product.domain.slug, product.slug, internal_port.pk])
    client = client_for(owner)
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="contacts_v2"' in page.content.decode() and 'value="2.0.0"' in page.content.decode()
    form = {"name": "contacts_v2", "version": "2.0.0", "fields-TOTAL_FORMS": "2", "fields-INITIAL_FORMS": "0"}
    form |= {"fields-0-name": "customer_id", "fields-0-data_type": "string", "fields-1-name": "country"}
    too_soon = client.post(url, {**form, "sunset_at": f"{timezone.localdate():%Y-%m-%d}"})
    assert too_soon.status_code == 200 and "days&#x27; notice" in too_soon.content.decode()
    done = client.post(url, form, follow=True)
    internal_port.refresh_from_db()
    assert internal_port.successor.name == "contacts_v2"
    assert f"contacts is deprecated until {internal_port.sunset_at:%Y-%m-%d}" in done.content.decode()
    assert (
        f"deprecated until {internal_port.sunset_at:%Y-%m-%d}"
        in client.get(product.get_absolute_url()).content.decode()
    )
    downstream_page = client_for(consumers["downstream"]).get(consumers["downstream_product"].get_absolute_url())
    assert "Contacts</a> / contacts, which is deprecated until" in downstream_page.content.decode()
    assert "move to contacts_v2" in downstream_page.content.decode()


def test_the_api_publishes_the_new_port_and_names_a_bad_field(api_for, owner, internal_port):
    api = api_for(owner)
    body = {"port": internal_port.pk, "name": "contacts_v2", "fields": V2}
    refused = api.post("/api/v1/port-successors/", {**body, "sunset_at": timezone.now().isoformat()}, format="json")
    assert refused.status_code == 400 and "sunset_at" in refused.json()
    answer = api.post("/api/v1/port-successors/", body, format="json")
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["successor"]["name"] == "contacts_v2" and data["successor"]["version"] == "2.0.0"
    assert data["port"]["successor"] == data["successor"]["id"] and data["port"]["sunset_at"]
    port = api.get(f"/api/v1/ports/{internal_port.pk}/").json()
    assert port["successor"] == data["successor"]["id"] and port["retired_at"] is None


def test_the_admin_publishes_the_new_port(client_for, admin_user, internal_port):
    client = client_for(admin_user)
    change = client.get(f"/admin/products/outputport/{internal_port.pk}/change/")
    url = f"/admin/products/outputport/{internal_port.pk}/successor/"
    assert url in change.content.decode()
    assert client.get(url).status_code == 200
    form = {"name": "contacts_v2", "version": "1.1.0", "fields-TOTAL_FORMS": "1", "fields-INITIAL_FORMS": "0"}
    form |= {"fields-0-name": "customer_id", "fields-0-data_type": "string"}
    refused = client.post(url, form)
    assert refused.status_code == 200 and "A successor port takes a new major version" in refused.content.decode()
    done = client.post(url, {**form, "version": "2.0.0"})
    successor = OutputPort.objects.get(name="contacts_v2")
    assert done.status_code == 302 and done["Location"].endswith(f"/outputport/{successor.pk}/change/")
    assert OutputPort.objects.get(pk=internal_port.pk).successor == successor
    assert client.get("/admin/products/outputport/999999/successor/").status_code == 404


def test_a_non_staff_user_cannot_open_the_admin_view(client_for, owner, internal_port):
    answer = client_for(owner).get(f"/admin/products/outputport/{internal_port.pk}/successor/")
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]


def test_the_old_port_is_retired_at_its_sunset_once(
    owner, client_for, internal_port, consumers, django_capture_on_commit_callbacks
):
    successor = _publish(owner, internal_port, django_capture_on_commit_callbacks)
    internal_port.refresh_from_db()
    assert successors.ports_retire_due() == []
    assert successors.port_retire(internal_port.pk) == "skipped"  # not due yet
    later = internal_port.sunset_at + timedelta(minutes=1)
    assert successors.ports_retire_due(now=later) == [internal_port.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert successors.port_retire(internal_port.pk, now=later) == "retired"
    with django_capture_on_commit_callbacks(execute=True):
        assert successors.port_retire(internal_port.pk, now=later) == "skipped"
    internal_port.refresh_from_db()
    assert internal_port.retired_at == later
    grant = consumers["grant"]
    grant.refresh_from_db()
    assert grant.status == "revoked" and grant.end_reason == access_services.PORT_RETIRED_REASON
    consumers["pending"].refresh_from_db()
    assert consumers["pending"].status == "rejected"
    for kind in PEOPLE:
        assert Notification.objects.filter(recipient=consumers[kind], kind="port.retired").count() == 1, kind
    assert Notification.objects.filter(recipient=consumers["grant holder"], kind="access.revoked").count() == 1
    assert OutboxEvent.objects.filter(kind="port.retired").count() == 1
    assert AuditEvent.objects.filter(action="port.retired").count() == 1
    assert internal_port.product.subscriptions.exists()  # the product lives on with its successor port
    product = internal_port.product
    args = [product.domain.slug, product.slug, internal_port.pk]
    preview = client_for(owner).get(reverse("products:port-preview", args=args))
    api = client_for(owner).get(f"/api/v1/ports/{internal_port.pk}/preview/")
    assert (preview.status_code, api.status_code) == (410, 410)
    assert "Use contacts_v2 instead." in api.json()["detail"]
    new_args = [product.domain.slug, product.slug, successor.pk]
    assert client_for(owner).get(reverse("products:port-preview", args=new_args)).status_code != 410
    with pytest.raises(DomainError):  # a retired port is no longer edited
        catalog.port_save(actor=owner, product=product, port=internal_port, fields=V2, version="2.0.0")
    with pytest.raises(DomainError):
        access_services.access_request_create(actor=owner, port=internal_port, purpose="x", duration_days=30)


def test_the_sweep_task_retires_due_ports(owner, internal_port, django_capture_on_commit_callbacks):
    from products.contracts.tasks import ports_retire_due_task

    _publish(owner, internal_port, django_capture_on_commit_callbacks)
    OutputPort.objects.filter(pk=internal_port.pk).update(sunset_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert ports_retire_due_task.apply().get() == 1
    assert OutputPort.objects.get(pk=internal_port.pk).retired_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert ports_retire_due_task.apply().get() == 0


def test_a_name_the_model_refuses_is_a_form_error_on_every_path(client_for, api_for, owner, internal_port):
    product = internal_port.product
    url = reverse("products:port-successor", args=[product.domain.slug, product.slug, internal_port.pk])
    form = {"name": "bad\nname", "version": "2.0.0", "fields-TOTAL_FORMS": "1", "fields-INITIAL_FORMS": "0"}
    form |= {"fields-0-name": "customer_id", "fields-0-data_type": "string"}
    assert client_for(owner).post(url, form).status_code == 200
    body = {"port": internal_port.pk, "name": "bad\nname", "fields": V2}
    assert api_for(owner).post("/api/v1/port-successors/", body, format="json").status_code == 400
    assert OutputPort.objects.filter(product=product).count() == 1


def test_a_port_with_a_change_waiting_is_not_superseded_until_it_is_cancelled(owner, internal_port):
    from products.contracts import services as contracts

    waiting = contracts.schema_change_schedule(actor=owner, port=internal_port, fields=V2, version="2.0.0")
    with pytest.raises(DomainError) as refused:
        successors.port_successor_publish(actor=owner, port=internal_port, name="contacts_v2", fields=V2)
    assert refused.value.field == "port"
    contracts.schema_change_cancel(actor=owner, version=waiting)
    assert successors.port_successor_publish(actor=owner, port=internal_port, name="contacts_v2", fields=V2)


@pytest.mark.parametrize(
    ("persona", "status", "created"),
    [("anonymous", 302, False), ("owner", 302, False), ("staff", 200, False), ("admin_user", 302, True)],
)
def test_the_admin_view_per_persona(request, client, persona, status, created, internal_port):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    form = {"name": "contacts_v2", "version": "2.0.0", "fields-TOTAL_FORMS": "1", "fields-INITIAL_FORMS": "0"}
    form |= {"fields-0-name": "customer_id", "fields-0-data_type": "string"}
    answer = client.post(f"/admin/products/outputport/{internal_port.pk}/successor/", form)
    assert answer.status_code == status
    assert OutputPort.objects.filter(name="contacts_v2").exists() == created
    if persona == "staff":  # global permissions do not make a team's port theirs
        assert "You may not do this to this product." in answer.content.decode()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retires_the_due_port_once(owner, analyst, internal_port, celery_worker_redis):
    from products.contracts.tasks import ports_retire_due_task
    from tests.celery_worker import wait_for

    grant = grant_for(analyst, internal_port, approvers=[owner])
    successors.port_successor_publish(actor=owner, port=internal_port, name="contacts_v2", fields=V2)
    OutputPort.objects.filter(pk=internal_port.pk).update(sunset_at=timezone.now() - timedelta(seconds=1))
    ports_retire_due_task.delay()
    ports_retire_due_task.delay()  # twice: one effect
    wait_for(lambda: OutputPort.objects.get(pk=internal_port.pk).retired_at is not None, timeout=30)
    wait_for(lambda: AccessGrant.objects.get(pk=grant.pk).status == "revoked", timeout=30)
    assert AuditEvent.objects.filter(action="port.retired").count() == 1


def test_the_new_port_page_costs_the_same_at_any_width(client_for, owner, internal_port):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product = internal_port.product
    url = reverse("products:port-successor", args=[product.domain.slug, product.slug, internal_port.pk])
    client = client_for(owner)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    narrow = count()
    for index in range(30):
        factories.SchemaFieldFactory(port=internal_port, name=f"extra_{index}", position=100 + index)
    assert count() == narrow


def test_a_downstream_page_warns_of_the_input_port_being_superseded(
    client_for, owner, other_owner, internal_port, consumers, django_capture_on_commit_callbacks
):
    downstream = consumers["downstream_product"]
    successor = _publish(owner, internal_port, django_capture_on_commit_callbacks)
    body = client_for(other_owner).get(downstream.get_absolute_url()).content.decode()
    upstream = internal_port.product
    warning = (
        f'This product reads from <a href="{upstream.get_absolute_url()}">{upstream.name}</a> / {internal_port.name}, '
        f"which is deprecated until {OutputPort.objects.get(pk=internal_port.pk).sunset_at:%Y-%m-%d}: move to "
        f"{successor.name}."
    )
    assert warning in body
