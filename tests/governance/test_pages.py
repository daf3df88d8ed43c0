"""Council pages through the test client: personas, htmx voting with and without JS, CSRF, exports, queries."""

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from governance import services
from governance.models import Proposal, Standard, Vote
from tests import factories
from tests.governance.conftest import STANDARD

VOTE_URL = "governance:proposal-vote"


@pytest.fixture
def personas(seated, analyst, admin_user):
    chair, member, rep = seated
    return {"chair": chair, "member": member, "non_member": analyst, "admin": admin_user}


@pytest.mark.parametrize("persona", ["chair", "member", "non_member", "admin"])
def test_council_page_shows_seats_and_open_proposals(client_for, personas, open_proposal, persona):
    response = client_for(personas[persona]).get(reverse("governance:council-detail"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Data Governance Council" in body and "Chair" in body and "CRM" in body
    assert open_proposal.title in body


@pytest.mark.parametrize(
    ("persona", "draft_status", "create_status"),
    [("chair", 200, 200), ("member", 200, 200), ("non_member", 404, 403), ("admin", 200, 200)],
)
def test_draft_is_visible_to_the_council_only(
    client_for, personas, draft_proposal, persona, draft_status, create_status
):
    client = client_for(personas[persona])
    assert client.get(draft_proposal.get_absolute_url()).status_code == draft_status
    assert client.get(reverse("governance:proposal-create")).status_code == create_status


@pytest.mark.parametrize(("persona", "status"), [("chair", 403), ("member", 200), ("non_member", 404), ("admin", 200)])
def test_only_the_author_edits_a_draft(client_for, personas, draft_proposal, persona, status):
    assert (
        client_for(personas[persona]).get(reverse("governance:proposal-edit", args=[draft_proposal.pk])).status_code
        == status
    )


def test_member_drafts_through_the_form_and_a_bad_regex_is_refused(client_for, council_member, council, seated):
    client = client_for(council_member)
    data = {
        "council": council.pk,
        "kind": "adopt_standard",
        "title": "Snake case",
        "motivation": "One style.",
        **{key: value for key, value in STANDARD.items() if key != "rule"},
        "rule": '{"target": "field_names", "pattern": "([a-z"}',
    }
    response = client.post(reverse("governance:proposal-create"), data)
    assert response.status_code == 200
    assert "rule.pattern: not a valid regular expression" in response.content.decode()
    assert not Proposal.objects.exists()
    data["rule"] = '{"target": "field_names", "pattern": "^[a-z_]+$"}'
    response = client.post(reverse("governance:proposal-create"), data)
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response.url == proposal.get_absolute_url()
    assert proposal.rule == {"target": "field_names", "pattern": "^[a-z_]+$"}


def test_htmx_vote_returns_the_tally_partial(client_for, council_member, open_proposal):
    response = client_for(council_member).post(
        reverse(VOTE_URL, args=[open_proposal.pk]), {"choice": "for", "rationale": "Yes"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="voting-panel">')
    assert "<html" not in body
    assert '<dd data-choice="for">1</dd>' in body
    assert "Your vote is recorded" in body
    assert Vote.objects.get().choice == "for"


def test_vote_without_js_is_a_post_and_redirect(client_for, council_member, open_proposal):
    response = client_for(council_member).post(reverse(VOTE_URL, args=[open_proposal.pk]), {"choice": "abstain"})
    assert response.status_code == 302
    assert response.url == open_proposal.get_absolute_url() + "#voting"
    page = client_for(council_member).get(response.url).content.decode()
    assert '<dd data-choice="abstain">1</dd>' in page


def test_htmx_vote_after_the_deadline_shows_the_error_in_place(client_for, council_member, open_proposal):
    from tests.governance.conftest import past_deadline

    past_deadline(open_proposal)
    response = client_for(council_member).post(
        reverse(VOTE_URL, args=[open_proposal.pk]), {"choice": "for"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "votes are no longer accepted" in response.content.decode()
    assert not Vote.objects.exists()


@pytest.mark.parametrize("persona", ["non_member", "admin"])
def test_non_holders_cannot_vote_through_the_page(client_for, personas, open_proposal, persona):
    response = client_for(personas[persona]).post(reverse(VOTE_URL, args=[open_proposal.pk]), {"choice": "for"})
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_vote_without_csrf_token_is_refused(council_member, open_proposal):
    client = Client(enforce_csrf_checks=True)
    client.force_login(council_member)
    response = client.post(reverse(VOTE_URL, args=[open_proposal.pk]), {"choice": "for"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_htmx_csrf_header_is_set_on_the_page(client_for, council_member, open_proposal):
    body = client_for(council_member).get(open_proposal.get_absolute_url()).content.decode()
    assert "hx-headers" in body and "X-CSRFToken" in body
    assert f'hx-post="{reverse(VOTE_URL, args=[open_proposal.pk])}"' in body


def test_member_votes_chair_closes_standard_appears(client_for, seated, open_proposal):
    chair, member, rep = seated
    for user in seated:
        client_for(user).post(reverse(VOTE_URL, args=[open_proposal.pk]), {"choice": "for"})
    response = client_for(chair).post(reverse("governance:proposal-close", args=[open_proposal.pk]))
    assert response.status_code == 302
    standard = Standard.objects.get()
    listing = client_for(rep).get(reverse("governance:standard-list")).content.decode()
    assert standard.code in listing and "Snake-case field names" in listing
    detail = client_for(rep).get(standard.get_absolute_url()).content.decode()
    assert "Adopt snake_case field names" in detail and "3 for" in detail


def test_illegal_transitions_show_an_error_not_a_crash(client_for, chair, draft_proposal):
    response = client_for(chair).post(reverse("governance:proposal-close", args=[draft_proposal.pk]), follow=True)
    assert response.status_code == 200
    assert "A draft cannot be closed" in response.content.decode()


def test_decision_log_exports(client_for, seated, open_proposal, council, analyst):
    services.vote_cast(actor=seated[1], proposal=open_proposal, choice="for")
    client = client_for(analyst)
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("governance:decision-log-csv", args=[council.pk])).content.decode())
        )
    )
    assert [row["action"] for row in rows] == ["proposal.create", "proposal.open", "vote.cast"]
    assert rows[2]["actor"] == "carla" and rows[2]["to_state"] == "for"
    data = json.loads(client.get(reverse("governance:decision-log-json", args=[council.pk])).content)
    assert data["council"] == council.name and len(data["decisions"]) == 3


def _proposals(council, author, count):
    for index in range(count):
        proposal = factories.ProposalFactory(council=council, author=author, status="open", title=f"P{index}")
        for seat in council.seats.all():
            factories.VoteFactory(proposal=proposal, seat=seat)


def _standards(council, count):
    for index in range(count):
        factories.StandardFactory(council=council, title=f"S{index}")


def _count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url_name", "grow"),
    [
        ("governance:proposal-list", lambda council, author, n: _proposals(council, author, n)),
        ("governance:council-detail", lambda council, author, n: _proposals(council, author, n)),
        ("governance:standard-list", lambda council, author, n: _standards(council, n)),
    ],
)
def test_list_pages_run_a_constant_number_of_queries(client_for, council, seated, url_name, grow):
    client = client_for(seated[1])
    counts = []
    for size in (2, 5, 15):
        grow(council, seated[1], size)
        counts.append(_count_queries(client, reverse(url_name)))
    assert counts[0] == counts[1] == counts[2], counts


def test_proposal_detail_runs_a_constant_number_of_queries(client_for, council, seated, open_proposal):
    client = client_for(seated[1])
    counts = []
    for extra in (0, 3, 9):
        for index in range(extra):
            holder = factories.UserFactory()
            seat = factories.SeatFactory(council=council, holder=holder)
            factories.VoteFactory(proposal=open_proposal, seat=seat)
            services.comment_add(actor=holder, proposal=open_proposal, body=f"Comment {index}")
        counts.append(_count_queries(client, open_proposal.get_absolute_url()))
    assert counts[0] == counts[1] == counts[2], counts


def test_standard_detail_runs_a_constant_number_of_queries(client_for, council, seated):
    client = client_for(seated[1])
    counts = []
    for version in range(1, 4):
        proposal = factories.ProposalFactory(
            council=council, author=seated[1], kind="adopt_standard", status="accepted"
        )
        for seat in council.seats.all():
            factories.VoteFactory(proposal=proposal, seat=seat)
        Standard.objects.filter(code="STD-777").update(status="retired")
        factories.StandardFactory(council=council, code="STD-777", version=version, adopted_by=proposal)
        counts.append(_count_queries(client, reverse("governance:standard-detail", args=["STD-777"])))
    assert counts[0] == counts[1] == counts[2], counts
