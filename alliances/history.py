"""Quotes that prove a date, as pure functions.

The rules of existence spans and continuations are in the rulebook
(``alliances.rules.memberships.within_existence``, ``alliances.rules.successions.one_seat``).

- **Quote supports fact** (``validate_data`` only): a membership's citation quotes a
  sentence that names the country (name, official name, alias or code) or the
  period's start or end year; where no stored sentence does, the membership's note
  says where the date comes from, starting with the marker ``Date from:``.

No ORM here: the queries are in validation.py (writes) and selectors.py (reads).
"""

import re

from alliances.text import normalize_name

DATE_FROM_MARKER = "Date from:"


def explains_its_date(note):
    """Whether a membership's note says where its date comes from."""
    return DATE_FROM_MARKER.lower() in (note or "").lower()


def country_keys(country, alias_keys=()):
    """Normalized names a quote may use for ``country``: name, official name, aliases."""
    keys = {normalize_name(country.name), normalize_name(country.official_name or "")}
    keys.update(alias_keys)
    return {k for k in keys if k}


def quote_names_country(quote, country, alias_keys=()):
    text = normalize_name(quote)
    for key in country_keys(country, alias_keys):
        # At the start of a word; a suffix is allowed ("Sweden’s" normalizes to "swedens").
        if re.search(r"(?<!\w)" + re.escape(key), text):
            return True
    codes = {c for c in (country.code, country.iso2, country.iso3) if c}
    return any(re.search(r"(?<![A-Za-z])" + code + r"(?![A-Za-z])", quote) for code in codes)


def quote_names_year(quote, *days):
    return any(day is not None and re.search(rf"(?<!\d){day.year}(?!\d)", quote) for day in days)
