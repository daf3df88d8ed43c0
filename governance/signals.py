"""Signals other apps listen to (the glossary adopts or returns a term when its council proposal is decided).

Both are sent inside the closing transaction, so a receiver's writes commit or roll back with the decision.

- ``proposal_accepted(sender=Proposal, proposal=...)``: the proposal was accepted.
- ``proposal_rejected(sender=Proposal, proposal=..., outcome=...)``: it was rejected, expired without quorum,
  or withdrawn by its author (``outcome`` is the proposal's new status).

Receivers check ``proposal.kind`` (e.g. ``"adopt_term"``) and ``proposal.payload`` (e.g. ``{"term_id": 12}``).
"""

from django.dispatch import Signal

proposal_accepted = Signal()
proposal_rejected = Signal()
