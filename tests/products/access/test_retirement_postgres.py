"""Against the real PostgreSQL server: retiring a product after its sunset takes its grantees' rights away in the
warehouse (REVOKE through the provisioning task, as for any revoke), and tells webhook endpoints of each grant."""

from datetime import timedelta

import psycopg
import pytest
from django.urls import reverse
from django.utils import timezone
from psycopg import sql

from products import services as catalog
from products.access.models import AccessGrant
from products.access.provisioning import grantee_role, masked_view_name
from products.models import DataProduct, OutboxEvent
from tests import factories
from tests.products.access.test_provisioning_postgres import (  # noqa: F401 - fixtures
    _admin_conn,
    _approve,
    _select_as,
    pg_port,
    pg_warehouse,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROLE_PREFIX = "t6ret_u_"  # roles are cluster-wide: not the provisioning tests' prefix, so runs do not collide


@pytest.fixture
def retiring_port(request, settings):
    port = request.getfixturevalue("pg_port")
    settings.MESH_PROVISION_ROLE_PREFIX = ROLE_PREFIX
    yield port
    with _admin_conn() as conn:
        roles = [
            row[0] for row in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", [ROLE_PREFIX + "%"])
        ]
        for role in roles:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_retirement_revokes_in_the_warehouse_and_closes_previews(retiring_port, owner, analyst, client):
    port = retiring_port
    factories.WebhookEndpointFactory(name="iam", event_kinds=["grant.deprovisioned"])
    bea = factories.UserFactory(username="bea")
    grants = [_approve(user, port, owner) for user in (analyst, bea)]  # provisioned on commit
    view_schema, view = masked_view_name(port)
    view_sql = f'SELECT customer_id, email, country FROM "{view_schema}"."{view}" ORDER BY customer_id'
    for grant in grants:
        grant.refresh_from_db()
        assert grant.provisioning_state == "provisioned", grant.provisioning_error
        assert _select_as(grantee_role(grant.user_id), view_sql)[0] == (1, "•••", "DE")

    DataProduct.objects.filter(pk=port.product_id).update(
        status="deprecated", sunset_at=timezone.now() - timedelta(days=1)
    )
    catalog.product_change_status(actor=owner, product=port.product, to_status="retired")  # commits: syncs run

    for grant in AccessGrant.objects.filter(pk__in=[grant.pk for grant in grants]):
        assert (grant.status, grant.end_reason) == ("revoked", "The product was retired.")
        assert grant.provisioning_state == "deprovisioned", grant.provisioning_error
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            _select_as(grantee_role(grant.user_id), view_sql)
    events = OutboxEvent.objects.filter(endpoint__name="iam", kind="grant.deprovisioned")
    assert sorted(event.payload["grant"]["id"] for event in events) == sorted(grant.pk for grant in grants)
    assert {event.payload["grant"]["status"] for event in events} == {"revoked"}

    message = f"Customer 360 was retired on {timezone.localdate():%Y-%m-%d}; its data is no longer served."
    product = port.product
    args = [product.domain.slug, product.slug, port.pk]
    client.force_login(owner)
    page = client.get(reverse("products:port-preview", args=args))
    export = client.get(reverse("products:port-export", args=args))
    api = client.get(f"/api/v1/ports/{port.pk}/preview/")
    assert (page.status_code, export.status_code, api.status_code) == (410, 410, 410)
    assert message in page.content.decode() and message in export.content.decode()
    assert api.json() == {"detail": message}
