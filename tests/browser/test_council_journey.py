"""A real browser: a member votes with htmx (no reload), the chair closes, the standard appears."""

from pathlib import Path

import pytest

from governance import services
from governance.models import Standard
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots"


def test_member_votes_chair_closes_and_the_standard_appears(page_for, team, other_team):
    council = factories.CouncilFactory(name="Data Governance Council")
    chair = factories.UserFactory(username="chris")
    member = factories.UserFactory(username="carla")
    rep = factories.UserFactory(username="sam")
    factories.SeatFactory(council=council, domain=None, is_chair=True, holder=chair)
    factories.SeatFactory(council=council, domain=team.domain, holder=member)
    factories.SeatFactory(council=council, domain=other_team.domain, holder=rep)
    proposal = services.proposal_create(
        actor=member,
        council=council,
        kind="adopt_standard",
        title="Snake-case field names",
        motivation="One naming style.",
        standard_kind="naming_convention",
        standard_title="Snake-case field names",
        standard_text="Every field is snake_case.",
        rule={"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"},
        severity="blocker",
    )
    services.proposal_open(actor=chair, proposal=proposal)
    services.vote_cast(actor=rep, proposal=proposal, choice="for")
    services.vote_cast(actor=chair, proposal=proposal, choice="for")

    page = page_for(member, PASSWORD)
    page.goto(f"/governance/proposals/{proposal.pk}/")
    page.evaluate("window.notReloaded = true")
    page.check("#voting-panel input[value=for]")
    page.click("#voting-panel button[type=submit]")
    page.wait_for_selector("text=Your vote is recorded")
    assert page.inner_text('dd[data-choice="for"]') == "3"
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the panel in place
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "council-vote.png"))  # the README's picture of a vote

    chair_page = page_for(chair, PASSWORD)
    chair_page.goto(f"/governance/proposals/{proposal.pk}/")
    chair_page.click("button[data-transition=close]")
    chair_page.wait_for_selector("[data-testid=status]:has-text('Accepted')")
    standard = Standard.objects.get(adopted_by=proposal)
    chair_page.goto("/governance/standards/")
    assert standard.code in chair_page.inner_text("table")
    assert "Snake-case field names" in chair_page.inner_text("table")
