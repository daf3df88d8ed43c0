"""Listen to the council: an accepted "adopt term" proposal approves its term; a rejected one returns it.

The governance app sends ``proposal_accepted`` / ``proposal_rejected`` (kwarg ``proposal``) inside the closing
transaction; ``GlossaryConfig.ready()`` calls ``connect_governance()``. From the catalog: before a port's schema
change removes columns, their term links are kept as former links (``connect_catalog()``).
"""

from glossary.links import term_links_keep_for_removed_columns
from glossary.services import term_adopt_from_proposal
from governance import signals as governance_signals
from products.signals import port_schema_validate


def on_proposal_accepted(sender, proposal=None, **kwargs):
    if proposal is not None:
        term_adopt_from_proposal(proposal=proposal, accepted=True)


def on_proposal_rejected(sender, proposal=None, **kwargs):
    if proposal is not None:
        term_adopt_from_proposal(proposal=proposal, accepted=False)


def connect_governance() -> None:
    governance_signals.proposal_accepted.connect(on_proposal_accepted, dispatch_uid="glossary.adopt_term.accepted")
    governance_signals.proposal_rejected.connect(on_proposal_rejected, dispatch_uid="glossary.adopt_term.rejected")


def on_port_schema_change(sender, port=None, actor=None, before=None, after=None, previous_version=None, **kwargs):
    """Before a schema change removes columns, keep their term links as former links and tell the stewards."""
    if before:
        removed = {column["name"] for column in before} - {column["name"] for column in after or []}
        if removed:
            term_links_keep_for_removed_columns(port=port, columns=removed, version=previous_version, actor=actor)


def connect_catalog() -> None:
    port_schema_validate.connect(on_port_schema_change, dispatch_uid="glossary.former_links")
