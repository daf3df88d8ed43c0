"""An object the caller may not see answers exactly like one that does not exist: in list filters (``?product=``)
and in writes naming it. Each request is made twice, once with the id of a hidden object and once with an id
nobody holds; status and body must match (the id itself aside)."""

import pytest

from governance.models import Council, Proposal
from tests import factories

MISSING = 987_654


@pytest.fixture
def hidden(draft, team, owner, other_owner):
    """Things the analyst may not see: the team's draft product and its port, a draft glossary term, and a council
    draft proposal."""
    port = factories.OutputPortFactory(product=draft, name="scores")
    term = factories.TermFactory(name="Secret Term", domain=team.domain, author=owner, status="draft")
    council = Council.objects.create(name="Council")
    proposal = factories.ProposalFactory(council=council, author=other_owner, status=Proposal.Status.DRAFT)
    return {"product": draft.pk, "port": port.pk, "term": term.pk, "proposal": proposal.pk}


FILTERS = [
    ("/api/v1/quality-checks/", "product", "product"),
    ("/api/v1/quality-incidents/", "product", "product"),
    ("/api/v1/ports/", "product", "product"),
    ("/api/v1/subscriptions/", "product", "product"),
    ("/api/v1/lineage/", "product", "product"),
    ("/api/v1/lineage/", "upstream", "product"),
    ("/api/v1/access-requests/", "port", "port"),
    ("/api/v1/access-grants/", "port", "port"),
    ("/api/v1/violations/", "product", "product"),
    ("/api/v1/waivers/", "product", "product"),
    ("/api/v1/votes/", "proposal", "proposal"),
    ("/api/v1/glossary/relations/", "source", "term"),
    ("/api/v1/glossary/links/", "term", "term"),
    ("/api/v1/glossary/links/", "product", "product"),
]


def _same(first, second, hidden_id) -> None:
    assert first.status_code == second.status_code, (first.status_code, second.status_code)
    assert first.content.replace(str(hidden_id).encode(), str(MISSING).encode()) == second.content


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "param", "kind"), FILTERS)
def test_a_filter_naming_a_hidden_object_answers_like_a_missing_one(url, param, kind, hidden, analyst, api_for):
    api = api_for(analyst)
    hidden_id = hidden[kind]
    seen = api.get(url, {param: hidden_id})
    missing = api.get(url, {param: MISSING})
    assert seen.status_code in (200, 400)
    _same(seen, missing, hidden_id)


WRITES = [
    ("/api/v1/quality-runs/", lambda ids: {"product": ids}, "product"),
    ("/api/v1/ports/", lambda ids: {"product": ids, "name": "x", "kind": "table"}, "product"),
    ("/api/v1/subscriptions/", lambda ids: {"product": ids, "purpose": "Reporting."}, "product"),
    ("/api/v1/waivers/", lambda ids: {"product": ids, "standard_code": "STD-001", "reason": "Why."}, "product"),
    ("/api/v1/access-requests/", lambda ids: {"port": ids, "purpose": "Reporting.", "duration_days": 30}, "port"),
    ("/api/v1/glossary/links/", lambda ids: {"term": ids, "product": None}, "term"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body", "kind"), WRITES)
def test_a_write_naming_a_hidden_object_answers_like_a_missing_one(url, body, kind, hidden, analyst, api_for):
    api = api_for(analyst)
    hidden_id = hidden[kind]
    seen = api.post(url, body(hidden_id), format="json")
    missing = api.post(url, body(MISSING), format="json")
    assert seen.status_code in (400, 404), seen.content
    _same(seen, missing, hidden_id)
