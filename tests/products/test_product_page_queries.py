"""The product page costs the same number of queries with 1 or 50 ports, fields, consumers, lineage edges and
history rows, for an analyst, the owning team and an admin; the lineage picker lists no product up front."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.services import audit_record
from products.views import PRODUCT_PANELS
from tests import factories

pytestmark = pytest.mark.django_db

# What the page reads: the session, the user, the product with the user's role in its team, the user's permissions
# on it, its tags, notifications, ports and fields, consumers, lineage (two queries at any depth), superseded input
# ports, grantees, history and the teams the user may subscribe for. The glossary, compliance, quality, contract and access panels load after it, each on its own.
PRODUCT_PAGE_MAX_QUERIES = 15
PANEL_MAX_QUERIES = 12


def _grow(product, team, count: int) -> None:
    for i in range(count):
        port = factories.OutputPortFactory(product=product, name=f"port_{product.pk}_{i}")
        factories.SchemaFieldFactory(port=port, name=f"f_{i}")
        factories.SchemaFieldFactory(port=port, name=f"g_{i}")
        factories.SubscriptionFactory(product=product, user=factories.UserFactory())
        upstream = factories.DataProductFactory(owner_team=team)
        factories.LineageEdgeFactory(product=product, upstream=upstream)
        factories.LineageEdgeFactory(product=upstream, upstream=factories.DataProductFactory(owner_team=team))
        factories.LineageEdgeFactory(upstream=product, product=factories.DataProductFactory(owner_team=team))
        audit_record(actor=None, action="product.updated", target=product, comment=f"change {i}")


def _count(client, url: str, **headers) -> int:
    client.get(url, headers=headers)  # warm per-process caches (content types, templates)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("persona", ["analyst", "owner", "admin_user"])
def test_product_page_costs_the_same_at_1_and_50_rows_of_everything(request, client_for, team, persona):
    client = client_for(request.getfixturevalue(persona))
    one = factories.DataProductFactory(owner_team=team)
    fifty = factories.DataProductFactory(owner_team=team)
    _grow(one, team, 1)
    _grow(fifty, team, 50)
    few, many = _count(client, one.get_absolute_url()), _count(client, fifty.get_absolute_url())
    assert many == few
    assert many <= PRODUCT_PAGE_MAX_QUERIES


@pytest.mark.parametrize("panel", sorted(PRODUCT_PANELS))
@pytest.mark.parametrize("persona", ["analyst", "owner", "admin_user"])
def test_each_panel_costs_the_same_at_1_and_50_rows(request, client_for, team, persona, panel):
    client = client_for(request.getfixturevalue(persona))
    one = factories.DataProductFactory(owner_team=team)
    fifty = factories.DataProductFactory(owner_team=team)
    _grow(one, team, 1)
    _grow(fifty, team, 50)

    def url(product):
        return reverse("products:product-panel", args=[product.domain.slug, product.slug, panel])

    few, many = _count(client, url(one), HX_Request="true"), _count(client, url(fifty), HX_Request="true")
    assert many == few
    assert many <= PANEL_MAX_QUERIES


def test_editor_page_lists_no_upstream_options(client_for, owner, team):
    product = factories.DataProductFactory(owner_team=team)
    for i in range(30):
        factories.DataProductFactory(owner_team=team, name=f"Candidate {i}")
    body = client_for(owner).get(product.get_absolute_url()).content.decode()
    assert "Candidate 7" not in body
    assert 'id="upstream-search"' in body


def test_lineage_picker_answers_visible_matches_only(client_for, owner, team, other_team):
    product = factories.DataProductFactory(owner_team=team, name="Orders")
    factories.DataProductFactory(owner_team=team, name="Invoices ledger")
    factories.DataProductFactory(owner_team=other_team, name="Invoices draft", status="draft")
    url = product.get_absolute_url() + "lineage/picker/?q=invoices"
    body = client_for(owner).get(url).content.decode()
    assert "Invoices ledger" in body
    assert "Invoices draft" not in body
    assert 'name="upstream"' in body


def test_lineage_picker_is_for_the_owning_team(client_for, analyst, product):
    assert client_for(analyst).get(product.get_absolute_url() + "lineage/picker/?q=x").status_code == 403
