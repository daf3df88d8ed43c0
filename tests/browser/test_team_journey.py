"""A real browser: a new owner signs in, opens their team from the menu, adds a member by name, makes them an
approver, and is told the team keeps one owner when they try to leave it; then wires a port to a warehouse table
through the port form, adds a check, runs the checks from the quality page and sees the result."""

import pytest

from products.demo_warehouse import build as build_warehouse
from products.models import Membership, OutputPort
from products.quality.models import CheckResult
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


def test_new_owner_wires_a_port_to_a_warehouse_table_runs_checks_and_sees_results(page_for, team, tmp_path):
    warehouse = factories.WarehouseFactory(
        name="demo-test", engine="sqlite", path=str(build_warehouse(tmp_path / "warehouse.sqlite3"))
    )
    product = factories.DataProductFactory(owner_team=team, slug="customer-360", name="Customer 360")
    newcomer = factories.UserFactory(username="nadia", first_name="Nadia", last_name="Novak")
    factories.MembershipFactory(team=team, user=newcomer, role=Membership.Role.OWNER)

    page = page_for(newcomer, PASSWORD)
    page.goto(product.get_absolute_url())
    page.click("text=Add output port")
    page.fill("#id_name", "customers")
    page.select_option("#id_kind", "table")
    page.fill("#id_version", "1.0.0")
    page.select_option("#id_warehouse", str(warehouse.pk))
    page.fill("#id_table", "customer_360")
    page.click("button:has-text('Save port')")
    page.wait_for_selector("text=Port customers saved with 7 fields.")
    port = OutputPort.objects.get(product=product, name="customers")
    assert (port.warehouse_id, port.table) == (warehouse.pk, "customer_360")
    assert port.fields.filter(name="customer_id").exists()  # the empty schema was filled from the table

    page.goto(f"/products/{product.domain.slug}/{product.slug}/quality/")
    page.click("text=Add a check")
    page.fill("#id_name", "Has customers")
    page.select_option("#id_kind", "row_count")
    page.select_option("#id_port", str(port.pk))
    page.fill("#id_param_min_rows", "1")
    page.click("form[data-kind-form] button[type=submit]")
    page.wait_for_selector("text=Check saved.")

    page.click("text=Run checks now")
    page.wait_for_selector('#quality-run-progress[data-run-status="done"]')
    assert "1 of 1 checks ran, 0 did not pass" in page.inner_text("#quality-run-progress")

    page.reload()
    results = page.locator("section.card:has(h2:text-is('Results'))").inner_text()
    assert "Has customers" in results and "Passed" in results, results
    assert "not connected to a warehouse" not in page.content()
    assert CheckResult.objects.get(quality_check__port=port).state == "passed"
