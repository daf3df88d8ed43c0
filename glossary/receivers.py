"""Listen to the council: an accepted "adopt term" proposal approves its term; a rejected one returns it.

The governance app sends ``proposal_accepted`` / ``proposal_rejected`` (kwarg ``proposal``). When that app does
not offer the signals, the glossary works without escalation and says so on the term page.
"""

import logging

logger = logging.getLogger(__name__)


def on_proposal_accepted(sender, proposal=None, **kwargs):
    from glossary.services import term_adopt_from_proposal

    if proposal is not None:
        term_adopt_from_proposal(proposal=proposal, accepted=True)


def on_proposal_rejected(sender, proposal=None, **kwargs):
    from glossary.services import term_adopt_from_proposal

    if proposal is not None:
        term_adopt_from_proposal(proposal=proposal, accepted=False)


def connect_governance() -> bool:
    try:
        from governance import signals as governance_signals
    except ImportError:
        return False
    accepted = getattr(governance_signals, "proposal_accepted", None)
    rejected = getattr(governance_signals, "proposal_rejected", None)
    if accepted is None:
        return False
    accepted.connect(on_proposal_accepted, dispatch_uid="glossary.adopt_term.accepted")
    if rejected is not None:
        rejected.connect(on_proposal_rejected, dispatch_uid="glossary.adopt_term.rejected")
    return True
