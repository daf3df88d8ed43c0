"""Steward appointments: a domain's team owners (and admins) appoint and remove its stewards, nobody else; the
appointed steward reviews at once; every change is audited."""

import pytest
from django.core.exceptions import PermissionDenied

from glossary import permissions
from glossary import stewards as steward_services
from glossary.models import Steward
from portal.errors import DomainError
from portal.models import AuditEvent


def test_domain_owner_appoints_a_steward_on_the_glossary_page(client_for, owner, team, analyst):
    response = client_for(owner).post("/glossary/stewards/appoint/", {"username": analyst.username, "domain": "crm"})
    assert response.status_code == 302
    assert Steward.objects.filter(user=analyst, domain=team.domain).exists()
    assert permissions.steward_domain_ids(analyst) == {team.domain_id}
    event = AuditEvent.objects.get(action="glossary.steward_appoint")
    assert (event.actor, event.data) == (owner, {"steward": analyst.username, "domain": "crm"})


def test_member_and_other_domain_owner_cannot_appoint(client_for, api_for, member, other_owner, team, analyst):
    assert client_for(member).post("/glossary/stewards/appoint/", {"username": "x", "domain": "crm"}).status_code == 403
    response = api_for(other_owner).post(
        "/api/v1/glossary/stewards/", {"username": analyst.username, "domain": "crm"}, format="json"
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        steward_services.steward_appoint(actor=other_owner, user=analyst, domain=team.domain)
    assert not Steward.objects.exists()


def test_enterprise_wide_is_for_admins(client_for, owner, admin_user, analyst):
    response = client_for(owner).post("/glossary/stewards/appoint/", {"username": analyst.username, "domain": ""})
    assert response.status_code == 200
    assert "admins appoint" in response.context["form"].errors["domain"][0]
    steward_services.steward_appoint(actor=admin_user, user=analyst, domain=None)
    assert permissions.steward_domain_ids(analyst) == {None}


def test_twice_is_an_error_on_username_and_removal_is_audited(owner, team, analyst, api_for):
    steward = steward_services.steward_appoint(actor=owner, user=analyst, domain=team.domain)
    with pytest.raises(DomainError) as refused:
        steward_services.steward_appoint(actor=owner, user=analyst, domain=team.domain)
    assert refused.value.field == "username"
    assert api_for(owner).delete(f"/api/v1/glossary/stewards/{steward.pk}/").status_code == 204
    assert not Steward.objects.exists()
    assert AuditEvent.objects.filter(action="glossary.steward_remove", actor=owner).count() == 1


def test_unknown_person_is_a_400_naming_username(api_for, owner, team):
    response = api_for(owner).post("/api/v1/glossary/stewards/", {"username": "ghost", "domain": "crm"}, format="json")
    assert response.status_code == 400 and "username" in response.json()


def test_steward_list_query_count(client_for, admin_user, team, django_assert_max_num_queries):
    from tests import factories

    client = client_for(admin_user)
    client.get("/glossary/stewards/")
    for _ in range(20):
        Steward.objects.create(user=factories.UserFactory(), domain=team.domain)
    with django_assert_max_num_queries(12):
        response = client.get("/glossary/stewards/")
    assert response.content.count(b"data-steward=") == 20
