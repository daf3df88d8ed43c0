"""The benchmark's mesh generator: products across the mesh's teams with ports, fields, tags and the owning
team's permissions, on either engine (fields, tags and permissions go in as column arrays on PostgreSQL)."""

import pytest

from products import permissions
from products.generate import generate_mesh
from products.models import DataProduct, DataProductGroupObjectPermission, SchemaField
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_generated_mesh_is_whole_and_its_teams_edit_their_products():
    ids = generate_mesh(30, fields_per_product=3, batch=20)
    products = DataProduct.objects.filter(pk__in=ids)
    assert products.count() == 30
    fields = SchemaField.objects.filter(port__product__in=products)
    assert fields.count() == 90
    assert set(fields.values_list("position", flat=True)) == {0, 1, 2}
    assert all(product.tags.exists() for product in products)
    assert DataProductGroupObjectPermission.objects.filter(content_object__in=products).count() == 60
    product = products.order_by("pk").first()
    editor = factories.UserFactory()
    editor.groups.add(product.owner_team.group)
    assert permissions.can_edit_product(editor, product)
    assert not permissions.can_edit_product(factories.UserFactory(), product)
