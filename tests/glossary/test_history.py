"""A term's history shows what a draft's edit, a proposed revision and its approval change, before and after."""

import pytest

from glossary import services
from tests import factories
from tests.portal.test_audit_diff import audit_changes_of

pytestmark = pytest.mark.django_db


def test_a_draft_terms_edit_and_an_approved_terms_revision_show_theiraudit_changes_of(
    client_for, analyst, author, crm, crm_steward
):
    draft = factories.TermFactory(name="Churn", domain=crm, author=author, status="draft", definition="Old.")
    services.term_update(actor=author, term=draft, definition="Customers who left.", synonyms=["Attrition"])
    changes = audit_changes_of(draft, "term.update")
    assert changes["definition"]["from"] == "Old." and changes["definition"]["to"] == "Customers who left."
    assert changes["synonyms"]["to"] == "Attrition"

    term = factories.TermFactory(name="Revenue", domain=crm, author=author, definition="Recognised on delivery.")
    revision = services.term_update(actor=author, term=term, definition="Recognised on invoice.")
    proposed = audit_changes_of(term, "term.revision.propose")
    assert proposed == {
        "definition": {
            "field": "definition",
            "label": "definition",
            "from": "Recognised on delivery.",
            "to": "Recognised on invoice.",
        }
    }
    services.revision_approve(actor=crm_steward, revision=revision)
    assert audit_changes_of(term, "term.revision.approve")["definition"]["to"] == "Recognised on invoice."

    page = client_for(analyst).get(term.get_absolute_url()).content.decode()
    assert "<del>Recognised on delivery.</del>" in page and "<ins>Recognised on invoice.</ins>" in page
