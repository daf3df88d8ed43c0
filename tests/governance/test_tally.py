import pytest

from governance.tally import ACCEPTED, EXPIRED, REJECTED, SIMPLE, TWO_THIRDS, tally_compute

# seats, for, against, abstain, quorum %, majority → outcome
CASES = [
    (6, 4, 1, 0, 50, SIMPLE, ACCEPTED),
    (6, 2, 2, 0, 50, SIMPLE, REJECTED),  # a tie rejects
    (6, 1, 1, 2, 50, SIMPLE, REJECTED),  # tie among the decisive votes, abstentions make quorum
    (6, 0, 0, 3, 50, SIMPLE, REJECTED),  # quorum met, all abstain → rejected
    (6, 0, 0, 6, 50, TWO_THIRDS, REJECTED),  # everyone abstains
    (6, 2, 0, 0, 50, SIMPLE, EXPIRED),  # 2 of 6 is below 50 %: no quorum, whatever the votes
    (6, 0, 0, 0, 50, SIMPLE, EXPIRED),  # nobody voted
    (5, 2, 0, 0, 50, SIMPLE, EXPIRED),  # quorum of 5 at 50 % needs 3 (rounded up)
    (5, 2, 0, 1, 50, SIMPLE, ACCEPTED),  # an abstention counts towards quorum
    (6, 4, 2, 0, 50, TWO_THIRDS, ACCEPTED),  # exactly two-thirds passes
    (6, 3, 2, 0, 50, TWO_THIRDS, REJECTED),  # 60 % is not two-thirds
    (6, 3, 2, 0, 50, SIMPLE, ACCEPTED),
    (6, 2, 1, 3, 100, TWO_THIRDS, ACCEPTED),  # full quorum, 2 of 3 decisive
    (6, 5, 0, 0, 100, SIMPLE, EXPIRED),  # 100 % quorum: one seat missing expires it
    (0, 0, 0, 0, 50, SIMPLE, EXPIRED),  # a council with no seats decides nothing
]


@pytest.mark.parametrize(("seats", "yes", "no", "abstain", "quorum", "majority", "outcome"), CASES)
def test_tally_outcome(seats, yes, no, abstain, quorum, majority, outcome):
    tally = tally_compute(
        seats=seats, votes_for=yes, votes_against=no, abstain=abstain, quorum_percent=quorum, majority=majority
    )
    assert tally.outcome == outcome


def test_tally_reports_what_it_counted():
    tally = tally_compute(seats=6, votes_for=2, votes_against=1, abstain=1, quorum_percent=50, majority=SIMPLE)
    assert tally.as_dict() == {
        "seats": 6,
        "votes_for": 2,
        "votes_against": 1,
        "abstain": 1,
        "quorum_percent": 50,
        "majority": SIMPLE,
        "cast": 4,
        "quorum_needed": 3,
        "outcome": ACCEPTED,
    }
    assert not tally.all_voted


def test_tally_refuses_an_unknown_majority_rule():
    with pytest.raises(ValueError, match="unknown majority"):
        tally_compute(seats=3, votes_for=1, votes_against=0, abstain=0, quorum_percent=50, majority="plurality")
