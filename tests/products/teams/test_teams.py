"""Team membership and product hand-over: the last owner stays, roles change through owners only, permissions
follow the membership and the product, and every change leaves an audit row."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from portal.errors import DomainError
from portal.models import AuditEvent
from products import permissions, services
from products.models import Membership
from products.teams import services as team_services
from tests import factories

Role = Membership.Role


def test_owner_adds_a_member_by_name_and_it_is_audited(client_for, team, owner, analyst):
    response = client_for(owner).post(
        f"/products/teams/{team.slug}/members/", {"username": analyst.username.upper(), "role": "approver"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(team=team, user=analyst).role == Role.APPROVER
    assert analyst.groups.filter(pk=team.group_id).exists()
    event = AuditEvent.objects.get(action="team.member_add")
    assert (event.actor, event.to_state, event.data) == (owner, "approver", {"member": analyst.username})


def test_unknown_person_is_a_form_error_naming_the_field(client_for, team, owner):
    response = client_for(owner).post(f"/products/teams/{team.slug}/members/", {"username": "ghost", "role": "member"})
    assert response.status_code == 200
    assert response.context["add_form"].errors["username"] == ["Nobody active is called “ghost”."]


def test_member_cannot_change_the_team(client_for, team, owner, member, analyst):
    client = client_for(member)
    assert client.post(f"/products/teams/{team.slug}/members/", {"username": "analyst"}).status_code == 403
    assert client.post(f"/products/teams/{team.slug}/members/{owner.pk}/remove/").status_code == 403
    assert client.post(f"/products/teams/{team.slug}/members/{member.pk}/role/", {"role": "owner"}).status_code == 403
    assert Membership.objects.get(team=team, user=member).role == Role.MEMBER


def test_owner_of_another_team_cannot_change_this_one_through_the_api(api_for, team, member, other_owner):
    response = api_for(other_owner).patch(
        f"/api/v1/teams/{team.slug}/members/{member.username}/", {"role": "owner"}, format="json"
    )
    assert response.status_code == 403
    assert Membership.objects.get(team=team, user=member).role == Role.MEMBER


def test_last_owner_can_be_neither_removed_nor_demoted(team, owner, admin_user):
    with pytest.raises(DomainError, match="keeps at least one owner"):
        team_services.membership_remove(actor=owner, team=team, user=owner)
    with pytest.raises(DomainError, match="keeps at least one owner") as refused:
        team_services.membership_role_set(actor=admin_user, team=team, user=owner, role=Role.MEMBER)
    assert refused.value.field == "role"
    assert Membership.objects.get(team=team, user=owner).role == Role.OWNER


def test_last_owner_refusal_is_a_clear_400_in_the_api(api_for, team, owner):
    response = api_for(owner).delete(f"/api/v1/teams/{team.slug}/members/{owner.username}/")
    assert response.status_code == 400
    assert "keeps at least one owner" in response.json()["username"][0]


def test_an_owner_steps_down_once_another_owner_exists(team, owner, member):
    team_services.membership_role_set(actor=owner, team=team, user=member, role=Role.OWNER)
    team_services.membership_remove(actor=owner, team=team, user=owner)
    assert list(Membership.objects.filter(team=team).values_list("user__username", "role")) == [
        (member.username, "owner")
    ]
    with pytest.raises(PermissionDenied):  # no longer an owner, not even a member
        team_services.membership_add(actor=owner, team=team, user=owner)


def test_removed_member_loses_edit_rights_on_the_next_request(team, owner, member, product):
    assert permissions.can_edit_product(member, product)
    team_services.membership_remove(actor=owner, team=team, user=member)
    assert not permissions.can_edit_product(member, product)
    assert AuditEvent.objects.filter(action="team.member_remove", from_state="member").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_stepping_down_at_once_leave_one_owner(team, owner, member):
    Membership.objects.filter(team=team, user=member).update(role=Role.OWNER)
    barrier = threading.Barrier(2)
    outcomes = []

    def step_down(user):
        try:
            barrier.wait()
            team_services.membership_remove(actor=user, team=team, user=user)
            outcomes.append("removed")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=step_down, args=(user,)) for user in (owner, member)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "removed"]
    assert Membership.objects.filter(team=team, role=Role.OWNER).count() == 1


def test_team_page_query_count_does_not_grow_with_members(client_for, team, owner, django_assert_max_num_queries):
    client = client_for(owner)
    client.get(f"/products/teams/{team.slug}/")
    for _ in range(30):
        factories.MembershipFactory(team=team)
    with django_assert_max_num_queries(14):
        response = client.get(f"/products/teams/{team.slug}/")
    assert response.status_code == 200
    assert response.content.count(b"data-member=") == 31


def test_my_teams_lists_my_role(client_for, team, owner, other_team):
    response = client_for(owner).get("/products/teams/")
    assert [(t.slug, t.my_role) for t in response.context["mine"]] == [(team.slug, "owner")]
    assert [t.slug for t in response.context["others"]] == [other_team.slug]


@pytest.fixture
def sibling(team):
    return factories.TeamFactory(slug="crm-analytics", name="CRM Analytics", domain=team.domain)


def test_owner_hands_a_product_over_with_its_permissions(client_for, product, owner, member, sibling):
    newcomer = factories.UserFactory(username="nadia")
    factories.MembershipFactory(team=sibling, user=newcomer, role=Role.OWNER)
    response = client_for(owner).post(
        f"/products/{product.domain.slug}/{product.slug}/transfer/", {"team": sibling.slug, "comment": "re-org"}
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.owner_team == sibling
    assert permissions.can_edit_product(newcomer, product) and permissions.can_change_product_status(newcomer, product)
    assert not permissions.can_edit_product(owner, product) and not permissions.can_edit_product(member, product)
    event = AuditEvent.objects.get(action="product.transfer")
    assert (event.actor, event.from_state, event.to_state, event.comment) == (
        owner,
        "customer-data",
        "crm-analytics",
        "re-org",
    )


def test_member_cannot_hand_a_product_over(client_for, api_for, product, member, sibling):
    assert client_for(member).post(f"/products/crm/{product.slug}/transfer/", {"team": sibling.slug}).status_code == 403
    assert (
        api_for(member)
        .post(f"/api/v1/products/{product.pk}/transfer/", {"team": sibling.slug}, format="json")
        .status_code
        == 403
    )
    product.refresh_from_db()
    assert product.owner_team.slug == "customer-data"


def test_transfer_to_another_domain_is_a_400_and_to_an_unknown_team_a_404_on_team(api_for, product, owner, other_team):
    api = api_for(owner)
    response = api.post(f"/api/v1/products/{product.pk}/transfer/", {"team": other_team.slug}, format="json")
    assert response.status_code == 400 and "another domain" in response.json()["team"][0]
    response = api.post(f"/api/v1/products/{product.pk}/transfer/", {"team": "nope"}, format="json")
    assert response.status_code == 404 and response.json()["team"] == ["No such team."]
    response = api.post(f"/api/v1/products/{product.pk}/transfer/", {"team": 7}, format="json")
    assert response.status_code == 400 and "team" in response.json()


def test_admin_hands_over_and_the_service_refuses_the_same_team(admin_user, product, sibling):
    services.product_transfer(actor=admin_user, product=product, team=sibling)
    with pytest.raises(DomainError, match="already owns"):
        services.product_transfer(actor=admin_user, product=product, team=sibling)


def test_admin_inline_keeps_an_owner(client_for, admin_user, team, owner):
    membership = Membership.objects.get(team=team, user=owner)
    data = {
        "domain": team.domain_id,
        "slug": team.slug,
        "name": team.name,
        "description": "",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": membership.pk,
        "memberships-0-team": team.pk,
        "memberships-0-user": owner.pk,
        "memberships-0-role": "member",
        "memberships-0-joined_at_0": "2026-01-01",
        "memberships-0-joined_at_1": "10:00:00",
    }
    response = client_for(admin_user).post(f"/admin/products/team/{team.pk}/change/", data)
    assert response.status_code == 200
    assert b"A team keeps at least one owner." in response.content
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_identity_provider_cannot_take_the_last_owner_away(admin_user):
    from portal.models import Notification
    from products.models import TeamClaimMapping

    team = factories.TeamFactory(slug="sso-only")
    person = factories.UserFactory(username="olga")
    TeamClaimMapping.objects.create(claim_value="sso-owners", team=team, role=Role.OWNER)
    assert team_services.memberships_sync_from_claims(user=person, claim_values=["sso-owners"])["added"] == ["sso-only"]

    # The group is gone at the next two sign-ins, but nobody else owns the team: she stays its owner, admins hear once.
    for _ in range(2):
        outcome = team_services.memberships_sync_from_claims(user=person, claim_values=[])
        assert outcome == {"added": [], "changed": [], "removed": [], "kept": ["sso-only"]}
    assert Membership.objects.get(team=team, user=person).role == Role.OWNER
    notice = Notification.objects.get(kind="products.team_last_owner")
    assert notice.recipient == admin_user and "olga stays its owner" in notice.body
    assert AuditEvent.objects.filter(action="team.last_owner_kept", target_id=str(team.pk)).exists()

    # Once the team page names another owner, the provider's word is applied.
    other = factories.UserFactory(username="piet")
    team_services.membership_add(actor=admin_user, team=team, user=other, role=Role.OWNER)
    assert team_services.memberships_sync_from_claims(user=person, claim_values=[])["removed"] == ["sso-only"]
    assert not Membership.objects.filter(team=team, user=person).exists()


def test_editing_a_product_changes_its_team_only_as_a_hand_over(client_for, api_for, product, owner, member, sibling):
    """The edit form has no team field, and an API edit naming another team follows the hand-over's rules."""
    factories.MembershipFactory(team=sibling, user=member, role=Role.MEMBER)
    form = client_for(owner).get(f"/products/{product.domain.slug}/{product.slug}/edit/").context["form"]
    assert "owner_team" not in form.fields
    # A member of both teams may edit the product but not hand it on.
    refused = api_for(member).patch(f"/api/v1/products/{product.pk}/", {"owner_team": sibling.slug}, format="json")
    assert refused.status_code == 403
    product.refresh_from_db()
    assert product.owner_team.slug == "customer-data"
    factories.MembershipFactory(team=sibling, user=owner, role=Role.MEMBER)
    moved = api_for(owner).patch(f"/api/v1/products/{product.pk}/", {"owner_team": sibling.slug}, format="json")
    assert moved.status_code == 200, moved.content
    event = AuditEvent.objects.get(action="product.transfer")
    assert (event.actor, event.from_state, event.to_state) == (owner, "customer-data", "crm-analytics")
