"""Fixtures for the products tests. Access to data: a demo SQLite warehouse behind a restricted customer port and
an internal one, and a team member with the access-approver role."""

import sqlite3

import pytest

from products.demo_warehouse import build
from products.models import Membership
from tests import factories
from tests.products.access.support import CUSTOMER_FIELDS


@pytest.fixture
def demo_warehouse(db, tmp_path):
    path = build(tmp_path / "warehouse.sqlite3")
    return factories.WarehouseFactory(name="demo-test", engine="sqlite", path=str(path))


@pytest.fixture
def demo_emails(demo_warehouse):
    conn = sqlite3.connect(demo_warehouse.path)
    try:
        return [row[0] for row in conn.execute("SELECT email FROM customer_360")]
    finally:
        conn.close()


@pytest.fixture
def approver(team):
    user = factories.UserFactory(username="april")
    factories.MembershipFactory(team=team, user=user, role=Membership.Role.APPROVER)
    return user


@pytest.fixture
def customers_port(product, demo_warehouse):
    """Customer 360 (restricted) / customers, behind the demo warehouse's ``customer_360`` table."""
    product.classification = "restricted"
    product.save(update_fields=["classification"])
    port = factories.OutputPortFactory(
        product=product, name="customers", warehouse=demo_warehouse, table="customer_360"
    )
    for position, (name, data_type, classification) in enumerate(CUSTOMER_FIELDS):
        factories.SchemaFieldFactory(
            port=port, name=name, data_type=data_type, classification=classification, position=position
        )
    return port


@pytest.fixture
def internal_port(team, owner, demo_warehouse):
    """An internal product (one approval needed) with its own customer table port."""
    product = factories.DataProductFactory(owner_team=team, slug="contacts", name="Contacts", classification="internal")
    port = factories.OutputPortFactory(product=product, name="contacts", warehouse=demo_warehouse, table="customer_360")
    for position, (name, data_type, classification) in enumerate(CUSTOMER_FIELDS):
        factories.SchemaFieldFactory(
            port=port, name=name, data_type=data_type, classification=classification, position=position
        )
    return port
