"""The product page's panels (glossary, compliance, quality, contract, access) load after the page, each from its
own address: the same visibility as the page, the bare section for htmx, a page of its own without JavaScript."""

import pytest
from django.urls import reverse

from products.views import PRODUCT_PANELS
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _panel_url(product, panel: str) -> str:
    return reverse("products:product-panel", args=[product.domain.slug, product.slug, panel])


def test_the_page_holds_a_placeholder_that_loads_each_panel(client_for, analyst, product):
    body = client_for(analyst).get(product.get_absolute_url()).content.decode()
    for panel in PRODUCT_PANELS:
        assert f'id="{panel}"' in body
        assert f'hx-get="{_panel_url(product, panel)}"' in body
    assert body.count('hx-trigger="load"') == len(PRODUCT_PANELS)


@pytest.mark.parametrize("panel", sorted(PRODUCT_PANELS))
def test_htmx_gets_the_bare_section_with_the_placeholders_id(client_for, owner, product, panel):
    response = client_for(owner).get(_panel_url(product, panel), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert f'id="{panel}"' in body
    assert "HX-Request" in response["Vary"]


def test_without_javascript_a_panel_is_a_page_with_a_way_back(client_for, owner, product):
    response = client_for(owner).get(_panel_url(product, "access"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert 'id="access"' in body
    assert f'href="{product.get_absolute_url()}#access"' in body


def test_a_panel_of_an_invisible_draft_answers_as_a_missing_one(client_for, analyst, draft):
    client = client_for(analyst)
    hidden = client.get(_panel_url(draft, "quality"), headers=HTMX)
    missing = client.get(f"/products/{draft.domain.slug}/no-such-product/panels/quality/", headers=HTMX)
    assert hidden.status_code == missing.status_code == 404
    assert draft.name.encode() not in hidden.content


def test_an_unknown_panel_is_not_found(client_for, owner, product):
    assert client_for(owner).get(_panel_url(product, "history")).status_code == 404


def test_an_empty_panel_removes_its_placeholder_or_says_there_is_nothing(client_for, analyst, product, monkeypatch):
    """A panel with nothing for this user (here: the contract, were it withheld) answers an empty body, which
    htmx swaps for the placeholder; without JavaScript the page says so."""
    from products.contracts import selectors as contract_selectors

    monkeypatch.setattr(contract_selectors.permissions, "can_view_contract", lambda user, product: False)
    client = client_for(analyst)
    assert client.get(_panel_url(product, "contract"), headers=HTMX).content.strip() == b""
    page = client.get(_panel_url(product, "contract")).content.decode()
    assert "Nothing here for you on this product." in page


def test_the_inputs_list_never_names_a_product_the_editor_cannot_see(client_for, owner, team, other_team):
    product = factories.DataProductFactory(owner_team=team)
    secret = factories.DataProductFactory(owner_team=other_team, name="Secret merger draft", status="draft")
    seen = factories.DataProductFactory(owner_team=other_team, name="Public ledger")
    factories.LineageEdgeFactory(product=product, upstream=secret)
    factories.LineageEdgeFactory(product=product, upstream=seen)
    factories.LineageEdgeFactory(product=product, upstream=None, external_source="ERP export")
    body = client_for(owner).get(product.get_absolute_url()).content.decode()
    assert "Secret merger draft" not in body
    assert "A product you cannot see" in body
    assert f'href="{seen.get_absolute_url()}">Public ledger</a>' in body
    assert "ERP export" in body
    assert body.count('/delete/" class="inline">') >= 3  # each input, seen or not, can be removed
