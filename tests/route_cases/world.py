"""The shared world the route × persona matrix runs in: one user per persona and a small catalog."""

from types import SimpleNamespace

from django.contrib.auth.models import Permission

from products.models import Membership
from tests import factories


def build_world() -> SimpleNamespace:
    team = factories.TeamFactory(slug="customer-data", domain__slug="crm", domain__name="CRM")
    other_team = factories.TeamFactory(slug="sales-ops", domain__slug="sales", domain__name="Sales")
    users = {"anonymous": None}
    for persona in ("analyst", "council_member", "chair", "steward"):
        users[persona] = factories.UserFactory(username=persona)
    users["owner"] = factories.UserFactory(username="owner")
    users["member"] = factories.UserFactory(username="member")
    users["inactive"] = factories.UserFactory(username="inactive", is_active=False)
    users["other_owner"] = factories.UserFactory(username="other_owner")
    users["staff"] = factories.UserFactory(username="staff", is_staff=True)
    users["staff"].user_permissions.set(Permission.objects.all())
    users["admin"] = factories.UserFactory(username="admin", is_staff=True, is_superuser=True)
    factories.MembershipFactory(team=team, user=users["owner"], role=Membership.Role.OWNER)
    factories.MembershipFactory(team=team, user=users["member"], role=Membership.Role.MEMBER)
    factories.MembershipFactory(team=team, user=users["inactive"], role=Membership.Role.MEMBER)
    factories.MembershipFactory(team=other_team, user=users["other_owner"], role=Membership.Role.OWNER)

    product = factories.DataProductFactory(owner_team=team, slug="customer-360", name="Customer 360")
    port = factories.OutputPortFactory(product=product, name="customers")
    factories.SchemaFieldFactory(port=port, name="customer_id")
    factories.SchemaFieldFactory(port=port, name="email", classification="pii")
    draft = factories.DataProductFactory(
        owner_team=team, slug="churn-scores", status="draft", accountable=users["owner"]
    )
    draft_port = factories.OutputPortFactory(product=draft, name="scores")
    factories.SchemaFieldFactory(port=draft_port, name="score")  # publishable: the baseline standard is met
    other_product = factories.DataProductFactory(owner_team=other_team, slug="bookings", name="Bookings")
    subscription = factories.SubscriptionFactory(product=product, user=users["analyst"])
    edge = factories.LineageEdgeFactory(product=product, upstream=other_product)
    return SimpleNamespace(
        users=users,
        team=team,
        other_team=other_team,
        product=product,
        port=port,
        draft=draft,
        draft_port=draft_port,
        other_product=other_product,
        subscription=subscription,
        edge=edge,
    )
