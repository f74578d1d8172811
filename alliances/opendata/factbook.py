"""The CIA World Factbook as a cross-check: which groups it names for a state that the data set lacks.

The Factbook's field "International organization participation" lists, per country, the
organizations it takes part in by abbreviation, with the status in brackets where it is not full
membership ("CBSS (observer)", "CIS (associate member)"). Its last edition (January 2026; the
Factbook was discontinued in February 2026) is committed as an extract
(``data/factbook/participation.json``, derived once by ``scripts/build_factbook_extract.py``);
each country's text is compared with the data set on the day its file last changed.

Like the COW IGO comparison it is never a source of a date (the Factbook gives none): it shows
curators where to look. Only the organizations the data set covers are compared
(``ABBREVIATIONS``); the rest of the Factbook's list (UPU, Interpol, …) is outside the data set.
"""

import datetime
import functools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from alliances import selectors
from alliances.models import Country, Membership
from alliances.rules import periods

EXTRACT = Path(__file__).resolve().parent / "data" / "factbook" / "participation.json"

# The Factbook's abbreviation -> (our organization, the status it means without a bracket).
ABBREVIATIONS = {
    "UN": ("un", "member"),
    "WTO": ("wto", "member"),
    "OECD": ("oecd", "member"),
    "NATO": ("nato", "member"),
    "PFP": ("nato", "partner"),  # NATO's Partnership for Peace: our NATO "partner" status
    "EU": ("eu", "member"),
    "EMU": ("euro", "member"),
    "Schengen Convention": ("schengen", "member"),
    "EFTA": ("efta", "member"),
    "Benelux": ("benelux", "member"),
    "CE": ("coe", "member"),
    "OSCE": ("osce", "member"),
    "CEI": ("cei", "member"),
    "BSEC": ("bsec", "member"),
    "CBSS": ("cbss", "member"),
    "NC": ("nordic-council", "member"),
    "Arctic Council": ("arctic-council", "member"),
    "CIS": ("cis", "member"),
    "CSTO": ("csto", "member"),
    "EAEU": ("eaeu", "member"),
    "EEU": ("eaeu", "member"),
    "EAEC": ("eurasec", "member"),
    "SCO": ("sco", "member"),
    "GUAM": ("guam", "member"),
    "CICA": ("cica", "member"),
    "ECO": ("eco", "member"),
    "OIC": ("oic", "member"),
    "C": ("commonwealth", "member"),
    "Commonwealth of Nations": ("commonwealth", "member"),
    "OIF": ("francophonie", "member"),
    "Francophonie": ("francophonie", "member"),
    "G-7": ("g7", "member"),
    "G-8": ("g7", "member"),
    "G-20": ("g20", "member"),
    "BRICS": ("brics", "member"),
}
# The bracket's words -> our status (the first that the bracket starts with).
BRACKETS = [
    ("observer", "observer"),
    ("dialogue partner", "partner"),
    ("partner", "partner"),
    ("associate", "associate"),
    ("candidate", "candidate"),
    ("applicant", "applicant"),
    ("suspended", "suspended"),
    ("participating", "member"),  # the CIS's states that never ratified its charter
]
# Countries the names resolver does not find by the Factbook's own names (its file -> our code).
FILES = {"africa/cg.json": "CD", "europe/vt.json": "VA"}
# Organizations, not states: the Factbook has an entry for the EU.
NOT_STATES = {"europe/ee.json"}

LACKS = "product_lacks"
OTHER_STATUS = "other_status"
ONLY_HERE = "only_here"
CLASSES = {
    LACKS: "The Factbook names the state in the organization on that day; the data set has no period then.",
    OTHER_STATUS: "Both have the state in the organization on that day, in another status.",
    ONLY_HERE: "The data set has the state in the organization on that day (certainly); the Factbook does not name it.",
}


@dataclass(frozen=True)
class Difference:
    code: str
    name: str
    organization: str
    kind: str
    factbook: str  # the Factbook's own words ("CBSS (observer)"), or "" when it names nothing
    ours: str  # our status that day, or "" when the data set has nothing
    day: datetime.date


@functools.cache
def extract():
    return json.loads(EXTRACT.read_text(encoding="utf-8"))


def parse(text):
    """``[(abbreviation, our status, the Factbook's words)]`` of the organizations the data set covers."""
    found = []
    # Commas inside a bracket ("CIS (associate member, has not ratified …)") do not split the list.
    for item in re.findall(r"[^,(]+(?:\([^)]*\)?)?", text):
        words = item.strip()
        match = re.fullmatch(r"(.+?)\s*(?:\((.*?)\)?)?", words)
        abbreviation, bracket = match.group(1).strip(), (match.group(2) or "").strip().lower()
        if abbreviation not in ABBREVIATIONS:
            continue
        slug, status = ABBREVIATIONS[abbreviation]
        if bracket:
            status = next((ours for start, ours in BRACKETS if bracket.startswith(start)), status)
        found.append((abbreviation, slug, status, words))
    return found


def country_of(entry):
    """Our state for one Factbook entry, or None (a territory the data set does not hold)."""
    if entry["file"] in NOT_STATES:
        return None
    if entry["file"] in FILES:
        return Country.objects.filter(code=FILES[entry["file"]]).first()
    for name in entry["names"]:
        try:
            return selectors.country_resolve(name)
        except selectors.NotFound:
            continue
    return None


def compare(*, code=None):
    """Every difference between the Factbook's list and the data set, per state, on the day its entry changed.

    ``code``: only that state. Returns ``(differences, unmatched)``: the differences sorted by state
    and organization, and the Factbook entries that name no state of the data set.
    """
    covered = {slug for slug, _ in ABBREVIATIONS.values()}
    # Every period in the covered organizations, read once and grouped by state.
    held = defaultdict(list)
    for country_id, *period in Membership.objects.filter(organization__slug__in=covered).values_list(
        "country_id", "organization__slug", "status", "start_date", "start_precision", "end_date", "end_precision"
    ):
        held[country_id].append(period)
    differences, unmatched = [], []
    for entry in extract()["countries"]:
        country = country_of(entry)
        if country is None:
            if entry["file"] not in NOT_STATES:
                unmatched.append(entry["file"])
            continue
        if code and country.code != code:
            continue
        day = datetime.date.fromisoformat(entry["changed"])
        theirs = {}
        for _, slug, status, words in parse(entry["participation"]):
            # PFP and NATO both name NATO; membership wins over partnership.
            if slug not in theirs or status == "member":
                theirs[slug] = (status, words)
        ours, possible = {}, set()
        for slug, status, *dates in held[country.pk]:
            certainty = periods.certainty_on(day, *dates)
            if certainty == periods.CERTAIN:
                ours[slug] = status
            elif certainty == periods.POSSIBLE:
                possible.add(slug)
        for slug in sorted(covered):
            their, words = theirs.get(slug, (None, ""))
            our = ours.get(slug)
            if their and our is None and slug not in possible:
                kind = LACKS
            elif their and our and their != our:
                kind = OTHER_STATUS
            elif our and not their and our not in ("applicant", "candidate"):
                kind = ONLY_HERE  # the Factbook lists no applications or candidacies, so they are no difference
            else:
                continue
            differences.append(Difference(country.code, country.name, slug, kind, words, our or "", day))
    differences.sort(key=lambda d: (d.name, d.organization))
    return differences, unmatched


def source():
    """Where the extract comes from, for the report's header."""
    return extract()["source"]
