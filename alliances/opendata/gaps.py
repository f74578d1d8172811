"""The gaps reports' filters, read one way for the admin's pages and for ``manage.py crosscheck_gaps``: which
state (a code or a name) and which class of difference (the published data set's own list)."""

from alliances import names


class UnknownClass(ValueError):
    """A class the report does not have."""


class UnknownCountry(LookupError):
    """A state the data set does not have."""


def report_filters(country, kind, classes):
    """``(code, kind)`` for ``country`` (any code, name or alias, as everywhere: ``names.country_resolve``;
    None: every state) and ``kind`` (None: every class). Raises ``UnknownClass`` when ``kind`` is not one of
    ``classes``, ``UnknownCountry`` for a state the data set does not have; each with the sentence to show."""
    if kind and kind not in classes:
        raise UnknownClass(f"Unknown class {kind!r}; one of {', '.join(sorted(classes))}.")
    if not country:
        return None, kind
    try:
        return names.country_resolve(country).code, kind
    except names.NotFound as error:
        raise UnknownCountry(error.with_hint()) from error


def factbook_rows(differences, kind):
    """The Factbook's differences of class ``kind`` (None: all), in the report's order."""
    return [d for d in differences if not kind or d.kind == kind]
