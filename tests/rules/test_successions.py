"""The succession rules over plain periods (alliances/rules/successions.py): no database."""

import datetime

from alliances.rules import successions
from alliances.rules.problems import OneSeat, SelfSuccession

D = datetime.date.fromisoformat


def test_a_state_does_not_succeed_itself():
    assert successions.not_itself(1, 2) == []
    assert successions.not_itself(None, None) == []  # missing states are the fields' own errors
    assert successions.not_itself(3, 3) == [SelfSuccession()]
    assert SelfSuccession().field == "successor"


def test_a_continuation_is_one_seat():
    ussr = [(D("1975-08-01"), D("1991-12-25"))]
    assert successions.one_seat("USSR", "Russia", D("1991-12-26"), "OSCE", ussr, [(D("1991-12-26"), None)]) == []
    found = successions.one_seat("USSR", "Russia", D("1991-12-26"), "OSCE", ussr, [(D("1991-12-25"), None)], on="kind")
    assert found == [OneSeat("USSR", "Russia", D("1991-12-26"), "OSCE", ussr[0], (D("1991-12-25"), None), on="kind")]
    assert found[0].field == "kind"
    assert found[0].sentence == (
        "Russia continues USSR from 1991-12-26: one seat, so USSR's period in OSCE (1975-08-01 to 1991-12-25) "
        "and Russia's (1991-12-25 to ongoing) cannot share a day."
    )
