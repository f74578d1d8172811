"""The rules of one record on its own: a country's code and existence span, an alias, an organization."""

from alliances.rules.problems import (
    AliasEmpty,
    AliasKey,
    DormantOutsideLife,
    ExistenceReversed,
    NoCode,
    RequirementBroken,
    RequiresItself,
)
from alliances.text import normalize_name


def country(code, exists_from, exists_to):
    found = [] if code else [NoCode()]
    if exists_from and exists_to and exists_to < exists_from:
        found.append(ExistenceReversed())
    return found


def alias(name, stored=None):
    """An alias's lookup key is its normalized name and has a letter or digit; ``stored``: a key already given."""
    normalized = normalize_name(name or "")
    if not normalized:
        return [AliasEmpty()]
    if stored is not None and stored != normalized:
        return [AliasKey(name, stored, normalized)]
    return []


def dormancy(founded, dissolved, dormant_since):
    if dormant_since and (dormant_since < founded or (dissolved and dormant_since > dissolved)):
        return [DormantOutsideLife()]
    return []


def requirement(organization, required, is_itself, gaps):
    """``organization``'s members must belong to ``required``: not itself, and no stored member period breaks it.

    ``gaps``: ``(country name, first uncovered day)`` of each member period ``required`` does not cover.
    """
    if is_itself:
        return [RequiresItself(organization)]
    if gaps:
        country_name, day = gaps[0]
        return [RequirementBroken(organization, required, len(gaps), country_name, day)]
    return []
