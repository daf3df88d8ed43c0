"""Lowering a column's classification waits for review, and masking holds until a reviewer approves."""

import csv
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from products import services as catalog
from products.contracts.models import Declassification
from products.contracts.services import declassification_decide
from products.models import SchemaField
from tests import factories
from tests.products.access.support import CUSTOMER_FIELDS, grant_for

pytestmark = pytest.mark.django_db


def _responses(client, port) -> dict:
    args = [port.product.domain.slug, port.product.slug, port.pk]
    return {
        "page": client.get(reverse("products:port-preview", args=args)),
        "csv": client.get(reverse("products:port-export", args=args)),
        "api": client.get(f"/api/v1/ports/{port.pk}/preview/"),
    }


def test_masking_holds_until_a_declassification_is_approved_by_someone_else(
    client, analyst, owner, internal_port, demo_emails
):
    """The owner of a published product lowers ``email`` from "pii" to "" in the port editor (``port_save``, the
    version left as it is: a held change is no change yet).

    Asserts, while the request waits: the column is still "pii" in the database, one pending ``Declassification``
    (pii → "") names the owner as requester, and an analyst holding an ordinary (masked) grant gets the preview
    page, the preview API and the CSV export with every e-mail masked: none of the warehouse's e-mail values
    appears in any response's bytes. The owner cannot approve their own request (``PermissionDenied``), which
    changes nothing.

    Then a data-protection officer (a user in ``settings.MESH_DATA_PROTECTION_GROUP``, not the requester)
    approves. Asserts: the column is "" and the port moved to its next major version. Unclassified columns are
    shown in clear to anyone who may read the port (``products.access.masking``: only classified columns are
    masked), so the same analyst, with the same ordinary grant and no clearance, now receives the raw e-mail
    values in all three responses, while ``full_name`` (still "pii") stays masked."""
    grant_for(analyst, internal_port, approvers=[owner])  # an ordinary grant: classified columns masked
    product = internal_port.product
    fields = [
        {"name": name, "data_type": data_type, "classification": "" if name == "email" else classification}
        for name, data_type, classification in CUSTOMER_FIELDS
    ]
    catalog.port_save(actor=owner, product=product, port=internal_port, fields=fields, version=internal_port.version)

    email = SchemaField.objects.get(port=internal_port, name="email")
    assert email.classification == "pii"
    request = Declassification.objects.get(field=email)
    assert (request.status, request.from_classification, request.to_classification, request.requested_by) == (
        "pending",
        "pii",
        "",
        owner,
    )

    client.force_login(analyst)
    responses = _responses(client, internal_port)
    assert {name: response.status_code for name, response in responses.items()} == {"page": 200, "csv": 200, "api": 200}
    for name, response in responses.items():
        leaked = [value for value in demo_emails if value.encode() in response.content]
        assert not leaked, f"{name} leaked {leaked[:3]}"
        assert b"@example.org" not in response.content, name
    assert "email" in responses["api"].json()["masked"]
    csv_rows = list(csv.reader(io.StringIO(responses["csv"].content.decode())))
    assert all(row[1].startswith("masked:") for row in csv_rows[1:] if row[1])

    with pytest.raises(PermissionDenied):
        declassification_decide(actor=owner, declassification=request, approve=True)
    email.refresh_from_db()
    request.refresh_from_db()
    assert (email.classification, request.status) == ("pii", "pending")

    officer = factories.UserFactory(username="dora")
    officer.groups.add(Group.objects.get_or_create(name=settings.MESH_DATA_PROTECTION_GROUP)[0])
    declassification_decide(actor=officer, declassification=request, approve=True, comment="Hashed upstream now.")
    email.refresh_from_db()
    internal_port.refresh_from_db()
    assert email.classification == ""
    assert internal_port.version == "2.0.0"

    responses = _responses(client, internal_port)
    assert {name: response.status_code for name, response in responses.items()} == {"page": 200, "csv": 200, "api": 200}
    for name, response in responses.items():
        assert demo_emails[0].encode() in response.content, name
    api = responses["api"].json()
    assert "email" not in api["masked"] and "full_name" in api["masked"]
