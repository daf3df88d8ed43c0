"""Tally math, kept pure so every quorum and majority edge case is a one-line table row in the tests.

- Quorum: votes cast (abstentions included) over the council's seats must reach ``quorum_percent``.
  Without quorum the proposal *expires*, whatever the votes say.
- Majority: counted over non-abstaining votes only. ``simple``: more for than against (a tie rejects).
  ``two_thirds``: for ≥ ⅔ of for + against. With quorum but every vote an abstention, the proposal is *rejected*.
"""

from dataclasses import asdict, dataclass

SIMPLE = "simple"
TWO_THIRDS = "two_thirds"

ACCEPTED = "accepted"
REJECTED = "rejected"
EXPIRED = "expired"


@dataclass(frozen=True)
class Tally:
    seats: int
    votes_for: int
    votes_against: int
    abstain: int
    quorum_percent: int
    majority: str

    @property
    def cast(self) -> int:
        return self.votes_for + self.votes_against + self.abstain

    @property
    def quorum_needed(self) -> int:
        """The smallest number of votes that reaches quorum (ceil of seats × percent / 100)."""
        return -(-self.seats * self.quorum_percent // 100)

    @property
    def quorum_met(self) -> bool:
        return self.seats > 0 and self.cast >= self.quorum_needed

    @property
    def majority_met(self) -> bool:
        decisive = self.votes_for + self.votes_against
        if decisive == 0:
            return False
        if self.majority == TWO_THIRDS:
            return 3 * self.votes_for >= 2 * decisive
        return self.votes_for > self.votes_against

    @property
    def outcome(self) -> str:
        if not self.quorum_met:
            return EXPIRED
        return ACCEPTED if self.majority_met else REJECTED

    @property
    def all_voted(self) -> bool:
        return self.seats > 0 and self.cast >= self.seats

    def as_dict(self) -> dict:
        return {**asdict(self), "cast": self.cast, "quorum_needed": self.quorum_needed, "outcome": self.outcome}


def tally_compute(
    *, seats: int, votes_for: int, votes_against: int, abstain: int, quorum_percent: int, majority: str
) -> Tally:
    if majority not in (SIMPLE, TWO_THIRDS):
        raise ValueError(f"unknown majority rule {majority!r}")
    if min(seats, votes_for, votes_against, abstain) < 0:
        raise ValueError("counts cannot be negative")
    return Tally(seats, votes_for, votes_against, abstain, quorum_percent, majority)
