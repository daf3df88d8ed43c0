"""Seat management by the chair: assign, vacate, delegate a substitute for an absence. Only the chair (or an admin)
may; a substitute votes for the seat until the absence ends; a vacant seat neither votes nor counts for quorum."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from governance import permissions, services
from governance import seats as seat_services
from governance.models import Seat
from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from tests import factories


@pytest.fixture
def crm_seat(council, council_member, team):
    return Seat.objects.get(council=council, domain=team.domain)


def test_chair_assigns_a_seat_on_the_council_page(
    client_for, chair, crm_seat, analyst, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(chair).post(f"/governance/seats/{crm_seat.pk}/assign/", {"username": analyst.username})
    assert response.status_code == 302
    crm_seat.refresh_from_db()
    assert crm_seat.holder == analyst
    event = AuditEvent.objects.get(action="seat.assign")
    assert (event.actor, event.from_state, event.to_state, event.data["council"]) == (
        chair,
        "carla",
        analyst.username,
        crm_seat.council_id,
    )
    assert Notification.objects.filter(recipient=analyst, kind="governance.seat").exists()


@pytest.mark.parametrize("who", ["council_member", "analyst", "owner"])
def test_non_chair_cannot_change_seats(request, client_for, api_for, crm_seat, chair, who):
    user = request.getfixturevalue(who)
    assert client_for(user).post(f"/governance/seats/{crm_seat.pk}/vacate/").status_code == 403
    assert (
        api_for(user).post(f"/api/v1/seats/{crm_seat.pk}/assign/", {"username": "chris"}, format="json").status_code
        == 403
    )
    crm_seat.refresh_from_db()
    assert crm_seat.holder.username == "carla"
    assert not AuditEvent.objects.filter(action__startswith="seat.").exists()


def test_vacant_seat_neither_votes_nor_counts_for_quorum(chair, council_member, sales_rep, crm_seat, draft_proposal):
    seat_services.seat_vacate(actor=chair, seat=crm_seat)
    assert not permissions.is_council_member(council_member, crm_seat.council)
    proposal = services.proposal_open(actor=chair, proposal=draft_proposal)
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=council_member, proposal=proposal, choice="for")
    services.vote_cast(actor=chair, proposal=proposal, choice="for")
    services.vote_cast(actor=sales_rep, proposal=proposal, choice="for")
    closed = services.proposal_close(proposal.pk, actor=chair)  # every filled seat has voted: 2 of 2
    assert closed.status == "accepted"


def test_substitute_votes_during_the_absence_then_the_holder_again(
    chair, council_member, crm_seat, draft_proposal, analyst
):
    until = timezone.localdate() + timedelta(days=3)
    seat_services.seat_delegate(actor=chair, seat=crm_seat, substitute=analyst, until=until)
    proposal = services.proposal_open(actor=chair, proposal=draft_proposal)
    opened = Notification.objects.exclude(kind="governance.seat").filter(url=proposal.get_absolute_url())
    assert set(opened.values_list("recipient__username", flat=True)) == {"chris", analyst.username, "otto"}
    vote = services.vote_cast(actor=analyst, proposal=proposal, choice="against")
    assert vote.seat == crm_seat
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=council_member, proposal=proposal, choice="for")
    seat_services.seat_delegation_end(actor=chair, seat=crm_seat)
    services.vote_cast(actor=council_member, proposal=proposal, choice="for")
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=analyst, proposal=proposal, choice="against")


def test_an_ended_absence_gives_the_vote_back(chair, council_member, crm_seat, analyst):
    Seat.objects.filter(pk=crm_seat.pk).update(
        substitute=analyst, substitute_until=timezone.localdate() - timedelta(days=1)
    )
    assert list(permissions.seats_user_holds(council_member, crm_seat.council)) == [crm_seat]
    assert not permissions.seats_user_holds(analyst, crm_seat.council).exists()


def test_refusals_name_the_field(chair, council, crm_seat, council_member):
    chair_seat = Seat.objects.get(council=council, is_chair=True)
    with pytest.raises(DomainError) as refused:
        seat_services.seat_vacate(actor=chair, seat=chair_seat)
    assert refused.value.field == "seat"
    with pytest.raises(DomainError) as refused:
        seat_services.seat_delegate(actor=chair, seat=crm_seat, substitute=council_member, until=timezone.localdate())
    assert refused.value.field == "username"
    with pytest.raises(DomainError) as refused:
        seat_services.seat_delegate(
            actor=chair, seat=crm_seat, substitute=chair, until=timezone.localdate() - timedelta(days=1)
        )
    assert refused.value.field == "until"


def test_api_delegate_validates_the_date_and_the_person(api_for, chair, crm_seat):
    api = api_for(chair)
    response = api.post(f"/api/v1/seats/{crm_seat.pk}/delegate/", {"username": "chris", "until": "soon"}, format="json")
    assert response.status_code == 400 and "until" in response.json()
    response = api.post(
        f"/api/v1/seats/{crm_seat.pk}/delegate/", {"username": "ghost", "until": "2099-01-01"}, format="json"
    )
    assert response.status_code == 400 and "username" in response.json()
    response = api.post(
        f"/api/v1/seats/{crm_seat.pk}/delegate/", {"username": "chris", "until": "2099-01-01"}, format="json"
    )
    assert response.status_code == 200 and response.json()["substitute"] == "chris"


def test_council_page_shows_the_chair_the_seat_controls(
    client_for, chair, council_member, crm_seat, django_assert_max_num_queries
):
    for _ in range(5):
        factories.SeatFactory(council=crm_seat.council)
    client = client_for(chair)
    client.get("/governance/")
    with django_assert_max_num_queries(20):
        response = client.get("/governance/")
    assert response.context["can_manage_seats"]
    assert response.content.count(b"/assign/") == 6
    assert b"/assign/" not in client_for(council_member).get("/governance/").content
