"""Names that end up in headers and download file names (a port's name in ``<product>-<port>.csv``, a product's
slug) refuse line breaks, control characters and quotes when saved, through the page, the API and the admin, with
the error on the field; a download's ``Content-Disposition`` is built by Django from a cleaned name."""

import pytest
from django.urls import reverse

from portal.csv_safe import attachment_header
from products.models import DataProduct, OutputPort
from tests import factories

pytestmark = pytest.mark.django_db

BAD_NAMES = ["orders\r\nSet-Cookie: a=b", "orders\nx", 'orders"x', "orders'x", "orders\\x", "orders\x00", "a\x1fb"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_page_refuses_a_port_name_unfit_for_a_header(client_for, owner, product, name):
    data = {
        "name": name,
        "kind": "table",
        "version": "1.0.0",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-0-name": "order_id",
        "fields-0-data_type": "bigint",
    }
    response = client_for(owner).post(f"/products/{product.domain.slug}/{product.slug}/ports/new/", data)
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not OutputPort.objects.filter(product=product, name__startswith="orders").exists()


@pytest.mark.parametrize("name", [name for name in BAD_NAMES if "\x00" not in name])  # the parser refuses NUL
def test_api_refuses_a_port_name_unfit_for_a_header(api_for, owner, product, name):
    body = {"product": product.pk, "name": name, "version": "1.0.0", "fields": [{"name": "id"}]}
    response = api_for(owner).post("/api/v1/ports/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert not OutputPort.objects.filter(product=product, name__startswith="orders").exists()


def test_api_refuses_renaming_a_port_to_a_name_unfit_for_a_header(api_for, owner, product):
    port = factories.OutputPortFactory(product=product, name="orders")
    response = api_for(owner).patch(f"/api/v1/ports/{port.pk}/", {"name": "orders\r\nx"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    port.refresh_from_db()
    assert port.name == "orders"


def test_admin_refuses_a_port_name_unfit_for_a_header(client_for, admin_user, product):
    port = factories.OutputPortFactory(product=product, name="orders")
    url = reverse("admin:products_outputport_change", args=[port.pk])
    client = client_for(admin_user)
    form = client.get(url).context["adminform"].form
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    data["name"] = 'orders"\r\nx'
    response = client.post(url, data)
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    port.refresh_from_db()
    assert port.name == "orders"


@pytest.mark.parametrize("slug", ["orders\r\nx", 'orders"x', "orders x"])
def test_api_refuses_a_product_slug_unfit_for_a_file_name(api_for, owner, team, slug):
    body = {"name": "Orders", "slug": slug, "domain": team.domain.slug, "owner_team": team.slug}
    response = api_for(owner).post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["slug"]
    assert not DataProduct.objects.filter(name="Orders").exists()


def test_a_download_name_saved_before_validation_cannot_split_the_header():
    header = attachment_header('crm-orders\r\nSet-Cookie: a="b".csv')
    assert "\r" not in header and "\n" not in header
    assert header == 'attachment; filename="crm-orders__Set-Cookie: a=_b_.csv"'
