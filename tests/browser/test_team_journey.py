"""A real browser: a new owner signs in, opens their team from the menu, adds a member by name, makes them an
approver, and is told the team keeps one owner when they try to leave it."""

import pytest

from products.models import Membership
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_new_owner_adds_a_member_and_cannot_leave_the_team_ownerless(page_for, team):
    newcomer = factories.UserFactory(username="nadia", first_name="Nadia", last_name="Novak")
    factories.MembershipFactory(team=team, user=newcomer, role=Membership.Role.OWNER)
    colleague = factories.UserFactory(username="pavel", first_name="Pavel", last_name="Ito")

    page = page_for(newcomer, PASSWORD)
    page.click("nav.mainnav >> text=Teams")
    page.click(f"text={team.name}")
    page.wait_for_selector("#add-member")
    page.fill("#id_username", "pavel")
    page.select_option("#id_role", "member")
    page.click("#add-member button[type=submit]")
    page.wait_for_selector("text=pavel joined")
    row = page.locator('tr[data-member="pavel"]')
    assert "Member" in row.inner_text()

    row.locator("select[name=role]").select_option("approver")
    row.locator("text=Set role").click()
    page.wait_for_selector("text=pavel is now approver")
    assert Membership.objects.get(team=team, user=colleague).role == Membership.Role.APPROVER

    page.locator('tr[data-member="nadia"]').locator("text=Remove").click()
    page.wait_for_selector("text=A team keeps at least one owner")
    assert Membership.objects.filter(team=team, user=newcomer, role=Membership.Role.OWNER).exists()
