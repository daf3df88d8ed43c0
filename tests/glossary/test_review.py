"""The review workflow: who may submit, approve, return and deprecate; no self-approval; no skipped states;
revisions keep the approved text in force."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied

from glossary import services
from glossary.models import Term, TermRevision
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, Notification
from tests import factories

pytestmark = pytest.mark.django_db


def test_author_drafts_and_submits_and_crm_steward_is_notified(author, crm, crm_steward, enterprise_steward):
    term = services.term_create(
        actor=author, name="Churn", definition="Lost customers.", domain=crm, synonyms="Attrition"
    )
    assert term.status == Term.Status.DRAFT
    assert [a.name for a in term.aliases.all()] == ["Attrition"]
    services.term_submit(actor=author, term=term)
    term.refresh_from_db()
    assert term.status == Term.Status.IN_REVIEW
    # The domain's steward gets the task; the enterprise steward is not flooded while the domain has one.
    assert Notification.objects.filter(recipient=crm_steward, kind="glossary.review").count() == 1
    assert not Notification.objects.filter(recipient=enterprise_steward, kind="glossary.review").exists()


def test_term_of_a_domain_without_steward_goes_to_enterprise_stewards(author, sales, enterprise_steward):
    term = services.term_create(actor=author, name="Pipeline", definition="Open deals.", domain=sales)
    services.term_submit(actor=author, term=term)
    assert Notification.objects.filter(recipient=enterprise_steward, kind="glossary.review").count() == 1


def test_steward_of_the_same_domain_approves(review_term, crm_steward):
    services.term_approve(actor=crm_steward, term=review_term, comment="Clear.")
    review_term.refresh_from_db()
    assert review_term.status == Term.Status.APPROVED
    assert review_term.approved_by == crm_steward
    event = AuditEvent.objects.get(action="term.approve")
    assert (event.from_state, event.to_state, event.actor) == ("in_review", "approved", crm_steward)


def test_steward_of_another_domain_may_not_approve(review_term, sales_steward):
    with pytest.raises(PermissionDenied):
        services.term_approve(actor=sales_steward, term=review_term)
    review_term.refresh_from_db()
    assert review_term.status == Term.Status.IN_REVIEW


def test_analyst_may_not_approve(review_term, analyst):
    with pytest.raises(PermissionDenied):
        services.term_approve(actor=analyst, term=review_term)


def test_admin_approves_any_term_but_not_their_own(review_term, admin_user, crm):
    services.term_approve(actor=admin_user, term=review_term)
    own = factories.TermFactory(name="Own", domain=crm, author=admin_user, status="in_review")
    with pytest.raises(DomainError, match="own term"):
        services.term_approve(actor=admin_user, term=own)


def test_enterprise_steward_reviews_domain_and_enterprise_terms(review_term, enterprise_steward, author):
    services.term_approve(actor=enterprise_steward, term=review_term)
    enterprise_term = factories.TermFactory(name="Customer ID", domain=None, author=author, status="in_review")
    services.term_approve(actor=enterprise_steward, term=enterprise_term)
    assert Term.objects.filter(status="approved").count() == 2


def test_any_domain_steward_reviews_an_enterprise_wide_term(author, sales_steward):
    term = factories.TermFactory(name="PII", domain=None, author=author, status="in_review")
    services.term_approve(actor=sales_steward, term=term)
    term.refresh_from_db()
    assert term.status == Term.Status.APPROVED


def test_self_approval_is_refused_even_for_a_steward(crm, crm_steward):
    term = services.term_create(actor=crm_steward, name="Segment", definition="A group of customers.", domain=crm)
    services.term_submit(actor=crm_steward, term=term)
    with pytest.raises(DomainError, match="Nobody approves their own term"):
        services.term_approve(actor=crm_steward, term=term)
    with pytest.raises(DomainError):
        services.term_return(actor=crm_steward, term=term, comment="hmm")
    term.refresh_from_db()
    assert term.status == Term.Status.IN_REVIEW


def test_return_needs_a_comment_and_goes_back_to_draft(review_term, crm_steward, author):
    with pytest.raises(DomainError, match="Say what needs to change"):
        services.term_return(actor=crm_steward, term=review_term, comment=" ")
    services.term_return(actor=crm_steward, term=review_term, comment="Define the time window.")
    review_term.refresh_from_db()
    assert review_term.status == Term.Status.DRAFT
    assert review_term.review_comment == "Define the time window."
    assert Notification.objects.filter(recipient=author, kind="glossary.returned").exists()


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "approve"),  # no skipping the review
        ("draft", "deprecate"),
        ("approved", "submit"),
        ("approved", "approve"),
        ("approved", "return"),
        ("deprecated", "approve"),
        ("deprecated", "submit"),
        ("deprecated", "deprecate"),
        ("in_review", "submit"),
        ("in_review", "deprecate"),
    ],
)
def test_illegal_transitions_are_refused(status, action, author, crm, crm_steward, admin_user):
    term = factories.TermFactory(name="Moving", domain=crm, author=author, status=status)
    with pytest.raises(TransitionNotAllowed):
        services.term_change_status(actor=admin_user, term=term, action=action, comment="because")
    term.refresh_from_db()
    assert term.status == status


def test_deprecate_with_replacement_records_the_relation(author, crm, crm_steward):
    old = factories.TermFactory(name="Client", domain=crm, author=author)
    new = factories.TermFactory(name="Customer", domain=crm, author=author)
    services.term_deprecate(actor=crm_steward, term=old, replaced_by=new)
    old.refresh_from_db()
    assert old.status == Term.Status.DEPRECATED and old.replaced_by == new
    assert old.relations_out.filter(kind="replaced_by", target=new).exists()


def test_analyst_may_not_deprecate(author, crm, analyst):
    term = factories.TermFactory(name="Client", domain=crm, author=author)
    with pytest.raises(PermissionDenied):
        services.term_deprecate(actor=analyst, term=term)


def test_approved_version_stays_visible_while_a_revision_is_pending(author, crm, crm_steward, analyst, client_for):
    term = factories.TermFactory(name="Revenue", domain=crm, author=author, definition="Recognised on delivery.")
    revision = services.term_update(actor=author, term=term, definition="Recognised on invoice.", synonyms="Sales")
    assert isinstance(revision, TermRevision) and revision.status == TermRevision.Status.PENDING
    term.refresh_from_db()
    assert term.status == Term.Status.APPROVED
    assert term.definition == "Recognised on delivery."
    assert not term.aliases.exists()

    page = client_for(analyst).get(term.get_absolute_url())
    assert page.status_code == 200
    assert "Recognised on delivery." in page.content.decode()
    assert "Recognised on invoice." in page.content.decode()  # shown as the pending revision
    api = client_for(analyst).get(f"/api/v1/glossary/terms/{term.pk}/")
    assert api.json()["definition"] == "Recognised on delivery."

    with pytest.raises(DomainError, match="own revision"):
        services.revision_approve(actor=author, revision=revision)
    services.revision_approve(actor=crm_steward, revision=revision)
    term.refresh_from_db()
    assert term.definition == "Recognised on invoice."
    assert [a.name for a in term.aliases.all()] == ["Sales"]


def test_a_second_author_cannot_open_a_competing_revision(author, crm, crm_steward):
    term = factories.TermFactory(name="Revenue", domain=crm, author=author)
    services.term_update(actor=author, term=term, definition="One.")
    with pytest.raises(DomainError, match="waiting for review"):
        services.term_update(actor=crm_steward, term=term, definition="Two.")
    assert TermRevision.objects.filter(term=term, status="pending").count() == 1


def test_returned_revision_leaves_the_term_unchanged(author, crm, crm_steward):
    term = factories.TermFactory(name="Revenue", domain=crm, author=author, definition="Original.")
    revision = services.term_update(actor=author, term=term, definition="Changed.")
    services.revision_return(actor=crm_steward, revision=revision, comment="No.")
    term.refresh_from_db()
    assert term.definition == "Original."
    with pytest.raises(TransitionNotAllowed):
        services.revision_approve(actor=crm_steward, revision=revision)


def test_in_review_term_cannot_be_edited(review_term, author):
    with pytest.raises(PermissionDenied):
        services.term_update(actor=author, term=review_term, definition="x")


def test_same_name_in_the_same_domain_is_refused(author, crm):
    services.term_create(actor=author, name="Churn", definition="x", domain=crm)
    with pytest.raises(DomainError, match="already exists"):
        services.term_create(actor=author, name="churn", definition="y", domain=crm)
    services.term_create(actor=author, name="Churn", definition="z", domain=None)  # another scope is fine


def test_council_acceptance_approves_an_adopt_term_proposal(review_term):
    from governance.signals import proposal_accepted, proposal_rejected

    review_term.council_proposal_id = 77
    review_term.save()
    proposal_rejected.send(
        sender=None, proposal=SimpleNamespace(pk=78, kind="adopt_term", payload={"term_id": review_term.pk})
    )
    review_term.refresh_from_db()
    assert review_term.status == Term.Status.IN_REVIEW  # another proposal's outcome does not apply
    proposal_accepted.send(
        sender=None, proposal=SimpleNamespace(pk=77, kind="other", payload={"term_id": review_term.pk})
    )
    review_term.refresh_from_db()
    assert review_term.status == Term.Status.IN_REVIEW
    proposal_accepted.send(
        sender=None, proposal=SimpleNamespace(pk=77, kind="adopt_term", payload={"term_id": review_term.pk})
    )
    review_term.refresh_from_db()
    assert review_term.status == Term.Status.APPROVED


def test_council_rejection_returns_the_term_to_draft(review_term):
    from governance.signals import proposal_rejected

    review_term.council_proposal_id = 5
    review_term.save()
    proposal_rejected.send(
        sender=None,
        proposal=SimpleNamespace(pk=5, kind="adopt_term", payload={"term_id": review_term.pk}, status="rejected"),
    )
    review_term.refresh_from_db()
    assert review_term.status == Term.Status.DRAFT and review_term.council_proposal_id is None


def test_escalation_creates_an_adopt_term_proposal_through_governance(review_term, author):
    from governance.models import Proposal

    council = factories.CouncilFactory()
    factories.SeatFactory(council=council, holder=author)
    proposal = services.term_escalate(actor=author, term=review_term)
    stored = Proposal.objects.get(pk=proposal.pk)
    assert stored.kind == "adopt_term" and stored.payload == {"term_id": review_term.pk}
    review_term.refresh_from_db()
    assert review_term.council_proposal_id == proposal.pk


def test_escalation_needs_a_council_seat(review_term, author):
    factories.CouncilFactory()
    with pytest.raises(PermissionDenied):
        services.term_escalate(actor=author, term=review_term)
