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


def continued(country_id, continuations):
    """The states ``country_id`` continues, nearest first: its continuation predecessors, and theirs.

    ``continuations``: ``(predecessor_id, successor_id)`` of every continuation. A continuation is the same
    international person under a new name (the USSR → Russia; Yugoslavia → Serbia and Montenegro →
    Serbia), so a state's groups include the seats it holds from before its own name: the USSR's
    Warsaw Pact and UN periods are Russia's past, marked by their own state. A secession or
    dissolution starts a new state (Kazakhstan, Slovakia) and continues nothing.
    """
    found, frontier = [], [country_id]
    while frontier:
        current = frontier.pop(0)
        for predecessor_id, successor_id in continuations:
            if successor_id == current and predecessor_id not in found:
                if predecessor_id != country_id:
                    found.append(predecessor_id)
                    frontier.append(predecessor_id)
    return found
