"""A draft proposal's edit keeps its changes, before and after."""

import pytest

from governance import services
from tests.portal.test_audit_diff import audit_changes_of

pytestmark = pytest.mark.django_db


def test_a_proposal_edit_keeps_itsaudit_changes_of(draft_proposal, council_member):
    old_title = draft_proposal.title
    services.proposal_update(actor=council_member, proposal=draft_proposal, title="A clearer title")
    changes = audit_changes_of(draft_proposal, "proposal.update")
    assert changes == {"title": {"field": "title", "label": "title", "from": old_title, "to": "A clearer title"}}
