"""Normalisation of names so lookups ignore case, accents and punctuation."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def normalize_name(value: str) -> str:
    """Return the lookup key of a name: "Türkiye" -> "turkiye", "U.S." -> "us".

    Punctuation is removed rather than replaced by a space so that "Co-operation"
    and "Cooperation", or "U.S." and "US", share one key.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    without_punctuation = _NON_WORD.sub("", without_accents.casefold()).replace("_", "")
    return _SPACES.sub(" ", without_punctuation).strip()
