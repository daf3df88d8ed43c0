"""Glossary personas: a steward of the CRM domain (the owning team's), a steward of Sales (another domain), an
enterprise-wide steward, and an author who drafts CRM terms."""

import pytest

from tests import factories


@pytest.fixture
def crm(team):
    return team.domain


@pytest.fixture
def sales(other_team):
    return other_team.domain


@pytest.fixture
def author(db):
    return factories.UserFactory(username="arthur")


@pytest.fixture
def crm_steward(crm):
    user = factories.UserFactory(username="cora")
    factories.StewardFactory(user=user, domain=crm)
    return user


@pytest.fixture
def sales_steward(sales):
    user = factories.UserFactory(username="sven")
    factories.StewardFactory(user=user, domain=sales)
    return user


@pytest.fixture
def enterprise_steward(db):
    user = factories.UserFactory(username="gloria")
    factories.StewardFactory(user=user, domain=None)
    return user


@pytest.fixture
def draft_term(author, crm):
    return factories.TermFactory(name="Churn", domain=crm, author=author, status="draft")


@pytest.fixture
def review_term(author, crm):
    return factories.TermFactory(name="Lead", domain=crm, author=author, status="in_review")
