"""Rules about history, as pure functions: states that began or ended, and quotes that prove a date.

- **Existence**: no membership on a day its country did not exist
  (``Country.exists_from`` / ``exists_to``, both inclusive, empty = open).
- **Continuation**: a continuation succession (the USSR → Russia) is one seat:
  the predecessor's and the successor's periods in the same organization never
  share a day (``validation.check_membership`` / ``check_succession`` on writes,
  ``selectors.history_problems`` for ``validate_data``).
- **Quote supports fact** (``validate_data`` only): a membership's citation quotes a
  sentence that names the country (name, official name, alias or code) or the
  period's start or end year; where no stored sentence does, the membership's note
  says where the date comes from, starting with the marker ``Date from:``.

No ORM here: the queries are in validation.py (writes) and selectors.py (reads).
"""

import re

from alliances.text import normalize_name

DATE_FROM_MARKER = "Date from:"


def existence_problem(country, start, end):
    """A sentence if the period [start, end] has a day ``country`` did not exist on, else None."""
    if country.exists_from is not None and start < country.exists_from:
        return (
            f"{country.name} existed as a state from {country.exists_from.isoformat()}; "
            f"a period cannot start before that (got {start.isoformat()})."
        )
    if country.exists_to is not None and (end is None or end > country.exists_to):
        return (
            f"{country.name} existed as a state until {country.exists_to.isoformat()}; "
            f"a period must end by then (got {end.isoformat() if end else 'ongoing'})."
        )
    return None


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
