"""Correlates of War (COW) country codes, read from the ``countrycode`` package, never typed in.

``countrycode`` (PyPI; a port of R's countrycode, which COW users know) carries
COW's numeric state code (``cown``) and abbreviation (``cowc``) for current
states by ISO alpha-2 code, and for former states (no ISO code) by its English
name patterns. A country gets COW's code from its ISO alpha-2 code where the
package knows that code, else from its name matched by the package's own
patterns: so "German Democratic Republic" is 265/GDR, "Czechoslovakia" 315/CZE,
"Yugoslavia" 345/YUG, and the Soviet Union matches the package's Russia entry
(COW codes Russia as the USSR's continuation: 365/RUS). Where the package has no
COW code (Serbia, Serbia and Montenegro, territories) the country has none.
"""

import functools
import re

from countrycode import codelist


def _clean(value):
    if value is None or value != value:  # None or NaN
        return None
    return int(value) if isinstance(value, float) else value


def _index():
    """The package's rows, read once: by ISO alpha-2 code, and (name pattern, codes) for every row."""
    by_iso2, patterns = {}, []
    for iso2, cown, cowc, pattern in zip(
        codelist["iso2c"], codelist["cown"], codelist["cowc"], codelist["country.name.en.regex"], strict=True
    ):
        codes = (_clean(cown), _clean(cowc)) if _clean(cown) is not None else (None, None)
        if iso2:
            by_iso2[iso2] = codes
        if pattern:
            patterns.append((re.compile(pattern, re.IGNORECASE), codes))
    return by_iso2, patterns


BY_ISO2, NAME_PATTERNS = _index()


@functools.lru_cache(maxsize=4096)
def cow_codes(iso2, *names):
    """(COW numeric code, COW abbreviation), or (None, None) where COW has none for this state.

    By ISO alpha-2 code where the package knows the code; otherwise (former
    states, Kosovo) by the first name that one of the package's patterns matches.
    """
    if iso2 and iso2 in BY_ISO2:
        return BY_ISO2[iso2]
    for name in names:
        for pattern, codes in NAME_PATTERNS if name else ():
            if pattern.search(name):
                return codes
    return None, None
