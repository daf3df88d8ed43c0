"""Against the real PostgreSQL server: a port superseded by a new major port is retired at its sunset, and its
grantees lose their rights in the warehouse (REVOKE through the provisioning task, as for any revoke)."""

from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from products.access.models import AccessGrant
from products.access.provisioning import grantee_role, masked_view_name
from products.contracts import successors
from products.models import OutputPort
from tests.products.access.test_provisioning_postgres import (  # noqa: F401 - fixtures
    _approve,
    _select_as,
    pg_port,
    pg_warehouse,
)
from tests.products.access.test_retirement_postgres import retiring_port  # noqa: F401 - fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_superseded_port_is_retired_at_its_sunset_and_select_is_denied(request, owner, analyst):
    port = request.getfixturevalue("retiring_port")
    grant = _approve(analyst, port, owner)  # provisioned on commit
    view_schema, view = masked_view_name(port)
    view_sql = f'SELECT customer_id, email FROM "{view_schema}"."{view}" ORDER BY customer_id'
    grant.refresh_from_db()
    assert grant.provisioning_state == "provisioned", grant.provisioning_error
    assert _select_as(grantee_role(analyst.pk), view_sql)

    columns = [{"name": "customer_id", "data_type": "string"}, {"name": "country"}]
    successor = successors.port_successor_publish(actor=owner, port=port, name="customers_v2", fields=columns)
    assert successor.version == "2.0.0"
    OutputPort.objects.filter(pk=port.pk).update(sunset_at=timezone.now() - timedelta(seconds=1))
    assert successors.port_retire(port.pk) == "retired"  # commits: the deprovisioning sync runs

    grant = AccessGrant.objects.get(pk=grant.pk)
    assert grant.status == "revoked" and grant.provisioning_state == "deprovisioned", grant.provisioning_error
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        _select_as(grantee_role(analyst.pk), view_sql)
    assert successors.port_retire(port.pk) == "skipped"
