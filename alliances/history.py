"""Quotes that prove a date, as pure functions.

The rules of existence spans and continuations are in the rulebook
(``alliances.rules.memberships.within_existence``, ``alliances.rules.successions.one_seat``).

- **Quote supports fact** (``validate_data`` only): a membership's citation quotes a
  sentence that names the country (name, official name, alias or code) or the
  period's start or end year; where no stored sentence does, the membership's note
  says where the date comes from, starting with the marker ``Date from:``.

No ORM here: the queries are in validation.py (writes) and selectors.py (reads).
"""

import functools
import re

from alliances.text import normalize_name

DATE_FROM_MARKER = "Date from:"


def explains_its_date(note):
    """Whether a membership's note says where its date comes from."""
    return DATE_FROM_MARKER.lower() in (note or "").lower()


def country_keys(country, alias_keys=()):
    """Normalized names a quote may use for ``country``: name, official name, aliases."""
    keys = {_normalized(country.name), _normalized(country.official_name or "")}
    keys.update(alias_keys)
    return {k for k in keys if k}


# validate_data asks these for every citation (thousands), of a few hundred states: each state's names
# and codes are normalized and compiled into one pattern once, not once per citation.
_normalized = functools.lru_cache(maxsize=4096)(normalize_name)


@functools.lru_cache(maxsize=1024)
def _names_pattern(keys):
    # At the start of a word; a suffix is allowed ("Sweden’s" normalizes to "swedens").
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(key) for key in sorted(keys)) + ")")


@functools.lru_cache(maxsize=1024)
def _codes_pattern(codes):
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(re.escape(code) for code in sorted(codes)) + r")(?![A-Za-z])")


def quote_names_country(quote, country, alias_keys=()):
    keys = frozenset(country_keys(country, alias_keys))
    if keys and _names_pattern(keys).search(normalize_name(quote)):
        return True
    codes = frozenset(c for c in (country.code, country.iso2, country.iso3) if c)
    return bool(codes) and _codes_pattern(codes).search(quote) is not None


def quote_names_year(quote, *days):
    return any(day is not None and re.search(rf"(?<!\d){day.year}(?!\d)", quote) for day in days)


def quote_supports(quote, country, alias_keys, start, end):
    """Whether a quote stands alone as a period's citation: it names the state or the start or end year."""
    return quote_names_country(quote, country, alias_keys) or quote_names_year(quote, start, end)
