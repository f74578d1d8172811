"""The rules of successions: a state does not succeed itself, and a continuation is one seat."""

from alliances.rules import periods
from alliances.rules.problems import OneSeat, SelfSuccession


def not_itself(predecessor_id, successor_id):
    if predecessor_id is not None and predecessor_id == successor_id:
        return [SelfSuccession()]
    return []


def one_seat(predecessor, successor, date, organization, predecessor_periods, successor_periods, *, on=None):
    """A continuation (the USSR → Russia) is one seat: the two states' periods in one organization share no day.

    ``predecessor_periods``, ``successor_periods``: their periods in ``organization`` as ``(start, end)``.
    One problem per predecessor period that clashes (with the first successor period it clashes with).
    """
    found = []
    for a in sorted(predecessor_periods, key=lambda p: p[0]):
        for b in sorted(successor_periods, key=lambda p: p[0]):
            if periods.overlaps(*a, *b):
                found.append(OneSeat(predecessor, successor, date, organization, tuple(a), tuple(b), on=on))
                break
    return found
