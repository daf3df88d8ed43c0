"""The council API: everyone reads, writes follow roles, status and tallies cannot be written."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import services
from governance.models import Proposal, Vote
from tests import factories
from tests.governance.conftest import STANDARD


@pytest.fixture
def personas(seated, analyst, admin_user):
    chair, member, rep = seated
    return {"chair": chair, "member": member, "non_member": analyst, "admin": admin_user}


@pytest.mark.parametrize("persona", ["chair", "member", "non_member", "admin"])
@pytest.mark.parametrize(
    "path", ["/api/v1/councils/", "/api/v1/seats/", "/api/v1/proposals/", "/api/v1/votes/", "/api/v1/standards/"]
)
def test_everyone_reads(api_for, personas, open_proposal, persona, path):
    assert api_for(personas[persona]).get(path).status_code == 200


def test_anonymous_reads_nothing(api_for, open_proposal):
    assert api_for(None).get("/api/v1/proposals/").status_code == 401


@pytest.mark.parametrize(("persona", "status"), [("chair", 201), ("member", 201), ("non_member", 403), ("admin", 201)])
def test_council_members_create(api_for, personas, council, persona, status):
    response = api_for(personas[persona]).post(
        "/api/v1/proposals/",
        {"council": council.pk, "kind": "adopt_standard", "title": "T", "motivation": "M", **STANDARD},
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["status"] == "draft" and response.json()["rule"] == STANDARD["rule"]


def test_create_ignores_status_author_and_tally(api_for, council_member, council, seated, analyst):
    response = api_for(council_member).post(
        "/api/v1/proposals/",
        {
            "council": council.pk,
            "kind": "resolution",
            "title": "T",
            "motivation": "M",
            "status": "accepted",
            "author": analyst.username,
            "result": {"outcome": "accepted"},
            "tally": {"votes_for": 99},
        },
        format="json",
    )
    assert response.status_code == 201
    proposal = Proposal.objects.get()
    assert (proposal.status, proposal.author, proposal.result) == ("draft", council_member, {})
    assert response.json()["tally"]["votes_for"] == 0


def test_cannot_draft_in_a_council_one_does_not_sit_on(api_for, council_member, seated):
    foreign = factories.CouncilFactory(name="Other council")
    response = api_for(council_member).post(
        "/api/v1/proposals/",
        {"council": foreign.pk, "kind": "resolution", "title": "T", "motivation": "M"},
        format="json",
    )
    assert response.status_code == 404
    assert "council" in response.json()


def test_bad_rule_is_refused_with_the_field_named(api_for, council_member, council, seated):
    response = api_for(council_member).post(
        "/api/v1/proposals/",
        {
            **STANDARD,
            "council": council.pk,
            "kind": "adopt_standard",
            "title": "T",
            "motivation": "M",
            "rule": {"target": "slug", "pattern": "(("},
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["rule"][0].startswith("rule.pattern: not a valid regular expression")


def test_vote_through_the_api_and_change_it(api_for, council_member, open_proposal):
    client = api_for(council_member)
    url = f"/api/v1/proposals/{open_proposal.pk}/vote/"
    assert client.post(url, {"choice": "for"}, format="json").status_code == 200
    response = client.post(url, {"choice": "against", "rationale": "Changed my mind"}, format="json")
    assert response.status_code == 200 and response.json()["choice"] == "against"
    assert Vote.objects.count() == 1
    detail = client.get(f"/api/v1/proposals/{open_proposal.pk}/").json()
    assert detail["tally"]["votes_against"] == 1 and detail["tally"]["seats"] == 3


def test_vote_after_close_is_refused_with_a_clear_error(api_for, seated, open_proposal):
    chair, member, rep = seated
    for user in seated:
        api_for(user).post(f"/api/v1/proposals/{open_proposal.pk}/vote/", {"choice": "for"}, format="json")
    assert api_for(chair).post(f"/api/v1/proposals/{open_proposal.pk}/close/").json()["status"] == "accepted"
    response = api_for(member).post(f"/api/v1/proposals/{open_proposal.pk}/vote/", {"choice": "against"}, format="json")
    assert response.status_code == 409
    message = response.json()["status"][0]
    assert message.startswith("Voting is closed: this proposal was accepted on ") and message.endswith(" UTC.")


def test_non_holder_vote_is_forbidden(api_for, analyst, open_proposal):
    response = api_for(analyst).post(f"/api/v1/proposals/{open_proposal.pk}/vote/", {"choice": "for"}, format="json")
    assert response.status_code == 403


def test_reopening_an_accepted_proposal_is_refused(api_for, seated, open_proposal):
    chair = seated[0]
    for user in seated:
        services.vote_cast(actor=user, proposal=open_proposal, choice="for")
    services.proposal_close(open_proposal.pk, actor=chair)
    response = api_for(chair).post(f"/api/v1/proposals/{open_proposal.pk}/open/", {}, format="json")
    assert response.status_code == 409
    assert "accepted cannot become open" in response.json()["status"][0]


def test_draft_is_invisible_to_non_members_in_the_api(api_for, analyst, draft_proposal):
    client = api_for(analyst)
    assert client.get(f"/api/v1/proposals/{draft_proposal.pk}/").status_code == 404
    assert client.get("/api/v1/proposals/").json()["results"] == []


def test_open_proposal_text_is_frozen(api_for, council_member, open_proposal):
    response = api_for(council_member).patch(f"/api/v1/proposals/{open_proposal.pk}/", {"title": "New"}, format="json")
    assert response.status_code == 403


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/api/v1/proposals/", "/api/v1/votes/", "/api/v1/standards/", "/api/v1/councils/"])
def test_api_lists_run_a_constant_number_of_queries(api_for, council, seated, path):
    client = api_for(seated[1])
    counts = []
    for size in (2, 6):
        for index in range(size):
            proposal = factories.ProposalFactory(council=council, author=seated[1], status="open")
            for seat in council.seats.all():
                factories.VoteFactory(proposal=proposal, seat=seat)
            factories.StandardFactory(council=council, title=f"S{size}-{index}")
        counts.append(_queries(client, path))
    assert counts[0] == counts[1], counts
