"""Listen to the council: an accepted "adopt term" proposal approves its term; a rejected one returns it.

The governance app sends ``proposal_accepted`` / ``proposal_rejected`` (kwarg ``proposal``) inside the closing
transaction; ``GlossaryConfig.ready()`` calls ``connect_governance()``.
"""

from glossary.services import term_adopt_from_proposal
from governance import signals as governance_signals


def on_proposal_accepted(sender, proposal=None, **kwargs):
    if proposal is not None:
        term_adopt_from_proposal(proposal=proposal, accepted=True)


def on_proposal_rejected(sender, proposal=None, **kwargs):
    if proposal is not None:
        term_adopt_from_proposal(proposal=proposal, accepted=False)


def connect_governance() -> None:
    governance_signals.proposal_accepted.connect(on_proposal_accepted, dispatch_uid="glossary.adopt_term.accepted")
    governance_signals.proposal_rejected.connect(on_proposal_rejected, dispatch_uid="glossary.adopt_term.rejected")
