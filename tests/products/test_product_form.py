"""The new-product form: the slug comes from the name when left empty, the owning team starts at the user's only
team, people are listed by name, and the port editor starts with two rows and offers "Add a field"."""

import pytest
from django.urls import reverse

from products.models import DataProduct
from tests import factories

pytestmark = pytest.mark.django_db


def test_slug_is_made_from_the_name_when_left_empty(client_for, owner, team):
    data = {
        "name": "Store Footfall Ünits",
        "slug": "",
        "owner_team": team.pk,
        "summary": "Counts.",
        "classification": "internal",
    }
    response = client_for(owner).post(reverse("products:product-create"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert DataProduct.objects.get(name="Store Footfall Ünits").slug == "store-footfall-units"


def test_owning_team_and_accountable_start_at_the_user(client_for, owner, team):
    form = client_for(owner).get(reverse("products:product-create")).context["form"]
    assert form["owner_team"].value() == team.pk
    assert form["accountable"].value() == owner.pk


def test_people_are_listed_by_name(client_for, owner):
    factories.UserFactory(username="gloria", first_name="Gloria", last_name="Steward")
    body = client_for(owner).get(reverse("products:product-create")).content.decode()
    assert ">Gloria Steward (gloria)</option>" in body
    assert 'data-slug-from="id_name"' in body and "js/slug-from-name.js" in body


def test_port_editor_starts_with_two_rows_and_an_add_button(client_for, owner, product):
    url = reverse("products:port-create", args=[product.domain.slug, product.slug])
    body = client_for(owner).get(url).content.decode()
    assert 'name="fields-TOTAL_FORMS" value="2"' in body
    assert "data-add-row" in body and 'id="schema-row-template"' in body and "fields-__prefix__-name" in body


def test_consumers_count_subscriptions_grantees_and_downstream_products(client_for, owner, product, team):
    from datetime import timedelta

    from django.utils import timezone

    from products.access.models import AccessGrant, AccessRequest
    from products.models import LineageEdge, Subscription

    port = factories.OutputPortFactory(product=product)
    reader = factories.UserFactory()
    request = AccessRequest.objects.create(
        requester=reader, port=port, purpose="Reporting.", duration_days=5, status=AccessRequest.Status.APPROVED
    )
    AccessGrant.objects.create(request=request, user=reader, port=port, expires_at=timezone.now() + timedelta(days=5))
    downstream = factories.DataProductFactory(owner_team=team, status="published")
    LineageEdge.objects.create(product=downstream, upstream=product)
    Subscription.objects.create(product=product, user=owner, purpose="Reports")
    body = client_for(owner).get(product.get_absolute_url()).content.decode()
    assert "Consumers (3)" in body
    assert "1 subscription · 1 person with access" in body and "1 downstream product</a>" in body
