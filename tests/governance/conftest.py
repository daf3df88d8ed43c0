"""Council personas: ``chair`` holds the chair's seat, ``council_member`` the CRM seat, ``sales_rep`` (the
catalog's ``other_owner``) the Sales seat. ``analyst`` holds no seat. Three seats, quorum 50 %: two votes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance import services
from tests import factories


@pytest.fixture
def council(db):
    return factories.CouncilFactory(name="Data Governance Council", quorum_percent=50, majority="simple")


@pytest.fixture
def chair(council):
    user = factories.UserFactory(username="chris")
    factories.SeatFactory(council=council, domain=None, is_chair=True, holder=user)
    return user


@pytest.fixture
def council_member(council, team):
    user = factories.UserFactory(username="carla")
    factories.SeatFactory(council=council, domain=team.domain, holder=user)
    return user


@pytest.fixture
def sales_rep(council, other_team, other_owner):
    factories.SeatFactory(council=council, domain=other_team.domain, holder=other_owner)
    return other_owner


@pytest.fixture
def seated(chair, council_member, sales_rep):
    """All three seats filled; returns the holders as (chair, council_member, sales_rep)."""
    return chair, council_member, sales_rep


STANDARD = {
    "standard_kind": "naming_convention",
    "standard_title": "Snake-case field names",
    "standard_text": "Every field name is snake_case.",
    "rule": {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"},
    "severity": "blocker",
    "grace_days": 14,
}


@pytest.fixture
def draft_proposal(council, seated, council_member):
    return services.proposal_create(
        actor=council_member,
        council=council,
        kind="adopt_standard",
        title="Adopt snake_case field names",
        motivation="Consumers join across domains; **one** naming style helps.",
        **STANDARD,
    )


@pytest.fixture
def open_proposal(draft_proposal, chair):
    return services.proposal_open(actor=chair, proposal=draft_proposal)


def past_deadline(proposal, hours: int = 1):
    """Move a proposal's deadline into the past, as if time had passed."""
    type(proposal).objects.filter(pk=proposal.pk).update(deadline=timezone.now() - timedelta(hours=hours))
    proposal.refresh_from_db()
    return proposal
