"""Pages: visibility (404 for drafts of others), A–Z browse and search, linking from the term and product pages,
and constant query counts for the list and the term page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from glossary import selectors
from glossary.models import TermLink
from tests import factories

pytestmark = pytest.mark.django_db


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_glossary_list_runs_a_constant_number_of_queries(client_for, analyst, crm, author):
    def add(n, offset):
        for i in range(n):
            term = factories.TermFactory(name=f"Term {offset + i:03}", domain=crm if i % 2 else None, author=author)
            factories.TermAliasFactory(term=term)

    client = client_for(analyst)
    add(5, 0)
    small = _count(client, "/glossary/")
    add(45, 100)
    large = _count(client, "/glossary/")
    print(f"\nGLOSSARY LIST QUERIES 5={small} 50={large}")
    assert large == small
    assert _count(client, "/glossary/?status=approved&domain=crm") <= small + 1


def test_term_page_runs_a_constant_number_of_queries(client_for, owner, crm, author, product):
    term = factories.TermFactory(name="Customer ID", author=author)
    port = factories.OutputPortFactory(product=product)

    def grow(n, offset):
        for i in range(n):
            other = factories.TermFactory(name=f"Other {offset + i}", domain=crm, author=author)
            term.relations_out.create(target=other, kind="related_to")
            factories.TermAliasFactory(term=term, name=f"Alias {offset + i}")
            factories.TermLinkFactory(term=term, field=factories.SchemaFieldFactory(port=port))
            factories.SchemaFieldFactory(port=port, name=f"alias_{offset + i}")  # a suggestion

    client = client_for(owner)
    grow(2, 0)
    small = _count(client, term.get_absolute_url())
    grow(10, 100)
    large = _count(client, term.get_absolute_url())
    print(f"\nTERM PAGE QUERIES 2={small} 12={large}")
    assert large == small


def test_drafts_are_404_to_others_and_visible_to_author_and_stewards(
    client_for, draft_term, author, crm_steward, sales_steward, enterprise_steward, analyst, admin_user
):
    url = draft_term.get_absolute_url()
    for user in (author, crm_steward, enterprise_steward, admin_user):
        assert client_for(user).get(url).status_code == 200, user
    for user in (analyst, sales_steward):
        assert client_for(user).get(url).status_code == 404, user
    assert client_for(None).get(url).status_code == 302


def test_browse_by_letter_domain_status_and_search(client_for, analyst, crm, sales, author):
    factories.TermFactory(name="Revenue", domain=crm, author=author, definition="Recognised on delivery.")
    bookings = factories.TermFactory(name="Bookings", domain=sales, author=author, definition="Confirmed orders.")
    factories.TermAliasFactory(term=bookings, name="Order intake")
    factories.TermFactory(name="Secret draft", domain=crm, author=author, status="draft")
    client = client_for(analyst)
    body = client.get("/glossary/?letter=R").content.decode()
    assert "Revenue" in body and "Bookings" not in body
    body = client.get("/glossary/?domain=sales").content.decode()
    assert "Bookings" in body and "Revenue" not in body
    assert "Secret draft" not in client.get("/glossary/").content.decode()
    body = client.get("/glossary/?q=intake").content.decode()
    assert "Bookings" in body and "Revenue" not in body
    assert [t.name for t in selectors.term_search(user=analyst, text="delivery", limit=5)] == ["Revenue"]
    assert selectors.term_search(user=analyst, text="secret", limit=5) == []
    api = client.get("/api/v1/glossary/terms/?q=confirmed").json()
    assert [row["name"] for row in api["results"]] == ["Bookings"]


def test_owner_links_a_suggested_field_from_the_term_page(client_for, owner, other_owner, author, product):
    term = factories.TermFactory(name="Customer ID", author=author)
    factories.TermAliasFactory(term=term, name="CID", kind="abbreviation")
    port = factories.OutputPortFactory(product=product, name="customers")
    field = factories.SchemaFieldFactory(port=port, name="customer_id")
    cid = factories.SchemaFieldFactory(port=port, name="CID")
    body = client_for(owner).get(term.get_absolute_url()).content.decode()
    assert "Suggested fields" in body and "customer_id" in body
    assert "Suggested fields" not in client_for(other_owner).get(term.get_absolute_url()).content.decode()
    response = client_for(other_owner).post(f"/glossary/terms/{term.pk}/link/", {"field": field.pk})
    assert response.status_code == 403
    client_for(owner).post(f"/glossary/terms/{term.pk}/link/", {"field": field.pk})
    client_for(owner).post(f"/glossary/terms/{term.pk}/link/", {"field": cid.pk})
    assert TermLink.objects.filter(term=term).count() == 2


def test_product_link_page_suggests_and_links(client_for, owner, analyst, author, product):
    term = factories.TermFactory(name="Customer ID", author=author)
    port = factories.OutputPortFactory(product=product, name="customers")
    field = factories.SchemaFieldFactory(port=port, name="customer_id")
    url = f"/glossary/link/{product.domain.slug}/{product.slug}/"
    body = client_for(owner).get(url).content.decode()
    assert "customer_id" in body and "Customer ID" in body
    assert client_for(analyst).post(url, {"field": field.pk, "term": term.pk}).status_code == 403
    assert client_for(owner).post(url, {"field": field.pk, "term": term.pk}).status_code == 302
    link = TermLink.objects.get(field=field)
    assert link.term == term
    context = selectors.product_terms(user=analyst, product=product)
    assert context.linked_count == 1 and not context.can_link
    body = client_for(analyst).get(term.get_absolute_url()).content.decode()
    assert product.name in body  # where it is used


def test_drafts_cannot_be_linked(client_for, owner, author, product, crm):
    term = factories.TermFactory(name="Customer ID", author=owner, status="draft", domain=crm)
    field = factories.SchemaFieldFactory(port=factories.OutputPortFactory(product=product), name="customer_id")
    url = f"/glossary/link/{product.domain.slug}/{product.slug}/"
    client_for(owner).post(url, {"field": field.pk, "term": term.pk})
    assert not TermLink.objects.exists()


def test_review_pages(client_for, review_term, crm_steward, author, analyst):
    body = client_for(crm_steward).get("/glossary/review/").content.decode()
    assert review_term.name in body
    assert review_term.name not in client_for(analyst).get("/glossary/review/").content.decode()
    assert "You cannot approve your own term" in client_for(author).get(review_term.get_absolute_url()).content.decode()
    client_for(author).post(f"/glossary/terms/{review_term.pk}/status/approve/")
    review_term.refresh_from_db()
    assert review_term.status == "in_review"
    client_for(crm_steward).post(f"/glossary/terms/{review_term.pk}/status/approve/")
    review_term.refresh_from_db()
    assert review_term.status == "approved"


def test_differs_from_needs_an_explanation_on_the_page(client_for, crm_steward, crm, sales, author):
    revenue = factories.TermFactory(name="Revenue", domain=crm, author=author)
    bookings = factories.TermFactory(name="Bookings", domain=sales, author=author)
    url = f"/glossary/terms/{revenue.pk}/relations/"
    client_for(crm_steward).post(url, {"kind": "differs_from", "target": bookings.pk, "explanation": ""})
    assert not revenue.relations_out.exists()
    client_for(crm_steward).post(url, {"kind": "differs_from", "target": bookings.pk, "explanation": "Timing."})
    assert revenue.relations_out.get().explanation == "Timing."
    body = client_for(crm_steward).get(bookings.get_absolute_url()).content.decode()
    assert "Revenue" in body and "Timing." in body  # shown from the other end too
