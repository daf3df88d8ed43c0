"""API: mass assignment leaves status alone, writable references are scoped to the caller (IDOR), transitions
go through the same rules as the pages."""

import pytest

from glossary.models import Term, TermLink
from tests import factories

pytestmark = pytest.mark.django_db


def test_create_ignores_status_author_and_approval_fields(api_for, analyst, crm):
    response = api_for(analyst).post(
        "/api/v1/glossary/terms/",
        {
            "name": "Basket",
            "definition": "Items of one order.",
            "domain": "crm",
            "status": "approved",
            "author": "someone",
            "approved_at": "2020-01-01T00:00:00Z",
            "synonyms": ["Cart"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    term = Term.objects.get(name="Basket")
    assert (term.status, term.author, term.approved_at) == ("draft", analyst, None)
    assert response.json()["synonyms"] == ["Cart"]


def test_patch_cannot_move_domain_or_status(api_for, author, crm, sales):
    term = factories.TermFactory(name="Churn", domain=crm, author=author, status="draft")
    response = api_for(author).patch(f"/api/v1/glossary/terms/{term.pk}/", {"domain": "sales"}, format="json")
    assert response.status_code == 400
    api_for(author).patch(f"/api/v1/glossary/terms/{term.pk}/", {"status": "approved"}, format="json")
    term.refresh_from_db()
    assert (term.domain, term.status) == (crm, "draft")


def test_link_to_a_field_of_another_teams_product_is_refused(api_for, other_owner, author, product):
    term = factories.TermFactory(name="Customer ID", author=author)
    field = factories.SchemaFieldFactory(port=factories.OutputPortFactory(product=product), name="customer_id")
    response = api_for(other_owner).post("/api/v1/glossary/links/", {"term": term.pk, "field": field.pk}, format="json")
    assert response.status_code == 404 and "field" in response.json()
    assert not TermLink.objects.exists()


def test_link_to_a_draft_term_is_refused(api_for, owner, product, crm):
    draft = factories.TermFactory(name="Customer ID", author=owner, status="draft", domain=crm)
    field = factories.SchemaFieldFactory(port=factories.OutputPortFactory(product=product), name="customer_id")
    response = api_for(owner).post("/api/v1/glossary/links/", {"term": draft.pk, "field": field.pk}, format="json")
    assert response.status_code == 404
    assert not TermLink.objects.exists()


def test_relation_to_an_invisible_draft_is_refused(api_for, crm_steward, sales, author):
    approved = factories.TermFactory(name="Revenue", domain=None, author=author)
    hidden = factories.TermFactory(name="Secret", domain=sales, author=author, status="draft")
    response = api_for(crm_steward).post(
        "/api/v1/glossary/relations/",
        {"source": approved.pk, "target": hidden.pk, "kind": "related_to"},
        format="json",
    )
    assert response.status_code == 404 and "target" in response.json()


def test_differs_from_without_explanation_is_a_400_naming_the_field(api_for, crm_steward, author):
    one = factories.TermFactory(name="Revenue", author=author)
    two = factories.TermFactory(name="Bookings", author=author)
    response = api_for(crm_steward).post(
        "/api/v1/glossary/relations/", {"source": one.pk, "target": two.pk, "kind": "differs_from"}, format="json"
    )
    assert response.status_code == 400 and "explanation" in response.json()


def test_self_approval_through_the_api_is_refused(api_for, crm, crm_steward):
    api = api_for(crm_steward)
    created = api.post(
        "/api/v1/glossary/terms/", {"name": "Segment", "definition": "x", "domain": "crm"}, format="json"
    )
    pk = created.json()["id"]
    assert api.post(f"/api/v1/glossary/terms/{pk}/submit/").json()["status"] == "in_review"
    response = api.post(f"/api/v1/glossary/terms/{pk}/approve/")
    assert response.status_code == 400 and "own term" in response.json()["status"][0]
    assert Term.objects.get(pk=pk).status == "in_review"


def test_list_endpoint_runs_a_constant_number_of_queries(api_for, analyst, author, django_assert_max_num_queries):
    for i in range(5):
        factories.TermAliasFactory(term=factories.TermFactory(name=f"T{i}", author=author))
    api = api_for(analyst)
    with django_assert_max_num_queries(12) as small:
        api.get("/api/v1/glossary/terms/")
    for i in range(40):
        factories.TermAliasFactory(term=factories.TermFactory(name=f"U{i}", author=author))
    with django_assert_max_num_queries(len(small.captured_queries)):
        api.get("/api/v1/glossary/terms/")
