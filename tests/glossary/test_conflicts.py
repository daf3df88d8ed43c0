"""The conflict job: one finding per key (re-running creates nothing), stale findings resolve, stewards hear of
each finding once; hourly schedule; a run on a real worker over Redis."""

import pytest
from django.db import OperationalError
from django_celery_beat.models import PeriodicTask

from glossary import conflicts, tasks
from glossary.models import ConflictFinding, TermRelation
from portal.models import Notification
from tests import factories
from tests.celery_worker import celery_worker_redis, wait_for  # noqa: F401


@pytest.fixture
def conflicting(crm, sales, author, product):
    """Two "Revenue" terms in different domains; a field linked to a deprecated term; a field named like one term
    but linked to another."""
    finance_revenue = factories.TermFactory(name="Revenue", domain=crm, author=author)
    sales_revenue = factories.TermFactory(name="Revenue", domain=sales, author=author)
    old = factories.TermFactory(name="Client Key", domain=crm, author=author, status="deprecated")
    customer_id = factories.TermFactory(name="Customer ID", domain=None, author=author)
    port = factories.OutputPortFactory(product=product, name="customers")
    factories.TermLinkFactory(term=old, field=factories.SchemaFieldFactory(port=port, name="client_key"))
    mislinked = factories.SchemaFieldFactory(port=port, name="customer_id")
    factories.TermLinkFactory(term=finance_revenue, field=mislinked)
    return {"finance": finance_revenue, "sales": sales_revenue, "old": old, "customer_id": customer_id}


@pytest.mark.django_db
def test_job_finds_each_kind_once_and_rerun_creates_nothing(conflicting, crm_steward, enterprise_steward):
    first = conflicts.conflicts_detect()
    kinds = sorted(ConflictFinding.objects.values_list("kind", flat=True))
    assert kinds == ["deprecated_link", "name_mismatch", "same_name"]
    assert first["created"] == 3
    notes = Notification.objects.filter(kind="glossary.conflict").count()
    assert notes == 6  # three findings, each to the CRM steward and the enterprise steward
    snapshot = list(ConflictFinding.objects.order_by("pk").values("pk", "key", "first_seen", "resolved_at"))

    second = conflicts.conflicts_detect()
    assert second["created"] == 0 and second["resolved"] == 0
    assert list(ConflictFinding.objects.order_by("pk").values("pk", "key", "first_seen", "resolved_at")) == snapshot
    assert Notification.objects.filter(kind="glossary.conflict").count() == notes  # told once each


@pytest.mark.django_db
def test_a_finding_about_a_draft_reaches_only_stewards_who_may_see_the_draft(
    crm, author, draft, crm_steward, enterprise_steward, client_for
):
    old = factories.TermFactory(name="Client Key", domain=crm, author=author, status="deprecated")
    port = factories.OutputPortFactory(product=draft, name="secret_port")
    factories.TermLinkFactory(term=old, field=factories.SchemaFieldFactory(port=port, name="client_key"))
    conflicts.conflicts_detect()
    finding = ConflictFinding.objects.get(kind="deprecated_link")
    assert finding.product == draft
    assert not Notification.objects.filter(kind="glossary.conflict").exists()  # neither steward is on the team
    for steward in (crm_steward, enterprise_steward):
        page = client_for(steward).get("/glossary/conflicts/")
        api = client_for(steward).get("/api/v1/glossary/conflicts/")
        assert page.status_code == api.status_code == 200
        assert draft.slug.encode() not in page.content + api.content
        assert client_for(steward).get(f"/api/v1/glossary/conflicts/{finding.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_finding_that_no_longer_holds_is_resolved(conflicting, crm_steward):
    conflicts.conflicts_detect()
    TermRelation.objects.create(
        source=conflicting["finance"], target=conflicting["sales"], kind="differs_from", explanation="Timing."
    )
    result = conflicts.conflicts_detect()
    assert result["resolved"] == 1
    finding = ConflictFinding.objects.get(kind="same_name")
    assert finding.resolved_at is not None
    assert ConflictFinding.objects.filter(resolved_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_field_named_like_a_synonym_of_its_own_term_is_fine(crm, author, product):
    term = factories.TermFactory(name="Customer ID", author=author)
    factories.TermAliasFactory(term=term, name="Client Key")
    port = factories.OutputPortFactory(product=product)
    factories.TermLinkFactory(term=term, field=factories.SchemaFieldFactory(port=port, name="client_key"))
    conflicts.conflicts_detect()
    assert not ConflictFinding.objects.exists()


@pytest.mark.django_db
def test_the_job_is_scheduled_hourly():
    task = PeriodicTask.objects.get(task="glossary.tasks.conflicts_detect")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "hours"


@pytest.mark.django_db
def test_conflict_page_is_for_stewards(conflicting, client_for, crm_steward, analyst):
    conflicts.conflicts_detect()
    response = client_for(crm_steward).get("/glossary/conflicts/")
    assert response.status_code == 200
    assert "is defined in CRM and in Sales" in response.content.decode()
    assert client_for(analyst).get("/glossary/conflicts/").status_code == 403


def _quietly(condition):
    """Poll without tripping on SQLite's table lock while the worker thread writes (PostgreSQL never needs it)."""

    def check():
        try:
            return condition()
        except OperationalError:
            return False

    return check


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_conflict_job_runs_on_a_real_worker_twice_with_one_effect(conflicting, crm_steward, celery_worker_redis):  # noqa: F811
    tasks.conflicts_detect.delay()
    wait_for(
        _quietly(
            lambda: (
                ConflictFinding.objects.count() == 3 and Notification.objects.filter(recipient=crm_steward).count() == 3
            )
        )
    )
    seen = max(ConflictFinding.objects.values_list("last_seen", flat=True))
    tasks.conflicts_detect.delay()
    wait_for(_quietly(lambda: ConflictFinding.objects.filter(last_seen__gt=seen).count() == 3))
    assert ConflictFinding.objects.count() == 3
    assert Notification.objects.filter(kind="glossary.conflict", recipient=crm_steward).count() == 3
