"""Django admin for every council model, the beat schedules a fresh install gets, and the demo council."""

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from governance import demo
from governance.models import Comment, Council, Proposal, Seat, Standard, StandardKind, Vote
from portal.demo import seed_users
from products import demo as products_demo


@pytest.mark.parametrize("model", [Council, Seat, Proposal, Vote, Comment, Standard])
def test_admin_changelist_and_search_work_for_every_model(client_for, admin_user, open_proposal, model):
    url = reverse(f"admin:governance_{model._meta.model_name}_changelist")
    client = client_for(admin_user)
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "snake"}).status_code == 200


def test_admin_refuses_a_bad_rule_on_save(client_for, admin_user, draft_proposal):
    url = reverse("admin:governance_proposal_change", args=[draft_proposal.pk])
    client = client_for(admin_user)
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(
        {
            "rule": '{"target": "field_names", "pattern": "*x"}',
            "effective_from": "",
            "target_standard": "",
            "votes-TOTAL_FORMS": 0,
            "votes-INITIAL_FORMS": 0,
            "comments-TOTAL_FORMS": 0,
            "comments-INITIAL_FORMS": 0,
        }
    )
    data = {key: ("" if value is None else value) for key, value in data.items()}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "rule.pattern: not a valid regular expression" in response.content.decode()
    draft_proposal.refresh_from_db()
    assert draft_proposal.rule["pattern"] == "^[a-z][a-z0-9_]*$"


def test_staff_without_superuser_cannot_open_the_admin_for_proposals(client_for, staff):
    response = client_for(staff).get(reverse("admin:governance_proposal_changelist"))
    assert response.status_code in (302, 403)


def test_fresh_install_has_the_council_beat_schedules(db):
    """The data migration registers the schedules. Tests that flush tables (transaction=True) wipe migration rows
    from a reused test database, so the migration's function is run again here; it only creates what is missing."""
    import importlib

    from django.apps import apps

    from portal.schedules import schedules_register

    migration = importlib.import_module("governance.migrations.0002_beat_schedules")
    schedules_register(apps, migration.SCHEDULES)
    schedules_register(apps, migration.SCHEDULES)
    assert PeriodicTask.objects.filter(name__in=list(migration.SCHEDULES)).count() == 3
    tasks = set(PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True))
    assert {
        "governance.tasks.proposals_close_due",
        "governance.tasks.vote_reminders_send",
        "governance.tasks.standards_activate_due",
    } <= tasks


def test_demo_council_is_complete_and_seeding_twice_changes_nothing(db):
    users = seed_users()
    products_demo.seed(users)
    demo.seed(users)
    demo.seed(users)
    council = Council.objects.get(name="Data Governance Council")
    seats = {seat.domain.slug if seat.domain else "chair": seat.holder.username for seat in council.seats.all()}
    assert seats == {
        "crm": "carla",
        "sales": "sam",
        "finance": "fiona",
        "inventory": "ivan",
        "supply-chain": "sofia",
        "chair": "chris",
    }
    inventory = council.seats.get(domain__slug="inventory")
    assert (inventory.voter_id, inventory.holder.username) == (users["tom"].pk, "ivan")  # Ivan is away
    in_force = Standard.objects.in_force()
    assert sorted(in_force.values_list("kind", flat=True)) == sorted(StandardKind.values)
    assert all(standard.adopted_by.votes.count() == 6 for standard in in_force)
    open_proposals = Proposal.objects.filter(status="open")
    assert open_proposals.count() == 1
    assert 0 < open_proposals.get().votes.count() < 6
    assert Proposal.objects.count() == 7
