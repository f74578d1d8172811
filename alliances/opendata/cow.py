"""The COW-layout panel: the data set coded as the Correlates of War IGO v3 state-year file codes it.

A COW IGO user should be able to drop the panel in where COW's ``state_year_format3``
was. So it follows COW's conventions, not ours:

* **rows** only for states in the COW state system on the year's reference day (COW's
  ``states2016``, committed as ``alliances/opendata/data/cow/states2016.csv``), each under the
  code COW gives it *that year*: 260 for the Federal Republic of Germany from 1955 to 1989
  and 255 from 1990, 345 for Yugoslavia, Serbia and Montenegro and Serbia, 365 once a year
  (the USSR to 1990, Russia from 1991), 678 for North Yemen to 1989. Which of our states
  holds a COW code on a day: the one whose COW code it is (``countrycode``), the successor of
  a continuation that has none of its own (Serbia and Montenegro, Serbia), and the two COW
  states ``countrycode`` gives to no state of ours (``EXTRA_CODES``);
* **codes**: 1 full member, 2 associate, 3 observer, 0 not a member, -1 the organization
  not in existence, -9 missing (a COW state none of our states holds: we know nothing of it).
  ``suspended`` is 0: a suspended state takes no part, and COW codes it so (Yugoslavia in
  the OSCE 1993–1999, Uzbekistan in the CSTO in 2012); ``partner``, ``candidate`` and
  ``applicant`` are 0 too;
* **a year** is coded from the status held on its reference day: 31 December (this year:
  today), or the organization's last day if it was dissolved that year (COW codes the
  Warsaw Pact's members in 1991);
* **columns** named by the organization's COW abbreviation (``Organization.cow_igo``) in
  lower case where COW has one, our slug otherwise (``column_names``); the EU is split as COW splits it
  (``SPLITS``): ``eec`` to 1992, ``eu`` from 1993.

Beside the COW code each row carries COW's abbreviation, the ISO 3166 alpha-3 code and the
Gleditsch–Ward number of the state that held the code on the reference day (from
``countrycode``, and ``GLEDITSCH_WARD_EXTRA`` where it has none), and our own country code and name.

``compare`` reads COW IGO v3's own codes for the organizations we cover
(``alliances/opendata/data/cow/cow_igo_v3.csv.gz``, cut from the igoR package's copy of the COW file
by ``scripts/cow_igo_extract.py``) and lists every cell where the panel differs, each with
the rule that explains it (``CLASSES``): the downloads' differences table and the admin's
gaps report.
"""

import csv
import datetime
import functools
import gzip
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from countrycode import codelist

from alliances.models import Country, Membership, Organization, Succession
from alliances.opendata.crosswalks import cow_codes

DATA = Path(__file__).resolve().parent / "data" / "cow"
STATES_FILE = DATA / "states2016.csv"
COW_IGO_FILE = DATA / "cow_igo_v3.csv.gz"

FIRST_YEAR = 1945
# The last year of COW IGO v3: nothing after it to compare.
COW_LAST_YEAR = 2014
# states2016 ends on this day; a state still in the system then is taken as still in it.
STATES_LAST_DAY = datetime.date(2016, 12, 31)

STATUS_CODES = {"member": 1, "associate": 2, "observer": 3}
NOT_A_MEMBER, NOT_IN_EXISTENCE, MISSING = 0, -1, -9
CODES = [MISSING, NOT_IN_EXISTENCE, NOT_A_MEMBER, 1, 2, 3]
CODE_MEANINGS = "1 full member, 2 associate, 3 observer, 0 not a member, -1 organization not in existence, -9 missing"

# COW splits one of our organizations in two at a year: the EU is COW's EEC (the European
# Communities) to 1992 and COW's EU from 1993. (column, first year, last year)
SPLITS = {"eu": (("eec", None, 1992), ("eu", 1993, None))}

# COW states whose code ``countrycode`` gives to none of our states: COW code -> our code.
# The Federal Republic (COW 260 until 2 October 1990) is our DE, which COW codes 255 from
# unification; North Yemen (COW 678 until 21 May 1990) is our YE, whose UN seat it was.
EXTRA_CODES = {260: "DE", 678: "YE"}

# Why a panel cell differs from COW's, each decided by a rule (``classify``), never by hand.
CLASSES = {
    "product_lacks": "COW codes a membership the data set does not have on the reference day",
    "cow_lacks": "the data set has a membership COW does not code",
    "status_differs": "both code a status, a different one (associate or observer against full membership)",
    "suspended": "the state was suspended on the reference day: coded 0 here, COW may code 1",
    "year_level": "the state's status changed during the year: COW codes the year, the panel its 31 December",
    "organization_dates": "one side has the organization not in existence that year (-1): COW dates "
    "founding and dissolution by year, the data set by the legal act",
    "no_data": "a COW state none of the data set's states holds that year (-9)",
    "cow_missing": "COW codes the cell missing (-9)",
    "row_only_in_cow": "COW has a row for a state the state system does not list on 31 December of that year",
}


@dataclass(frozen=True)
class Span:
    """A COW state's time in the state system: its code, abbreviation, name, first and last day."""

    ccode: int
    stateabb: str
    name: str
    start: datetime.date
    end: datetime.date | None


@functools.cache
def state_system():
    """COW's states2016, one ``Span`` per period in the system (an end of 2016-12-31: still in it)."""
    spans = []
    with open(STATES_FILE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            start = datetime.date(int(row["styear"]), int(row["stmonth"]), int(row["stday"]))
            end = datetime.date(int(row["endyear"]), int(row["endmonth"]), int(row["endday"]))
            spans.append(
                Span(
                    int(row["ccode"]), row["stateabb"], row["statenme"], start, None if end >= STATES_LAST_DAY else end
                )
            )
    return tuple(spans)


def in_system(span, day):
    return span.start <= day and (span.end is None or day <= span.end)


@functools.cache
def gleditsch_ward_by_iso2():
    """Gleditsch–Ward numbers by ISO alpha-2 code, from ``countrycode`` (its ``gwn`` column)."""
    return {
        iso2: int(gwn)
        for iso2, gwn in zip(codelist["iso2c"], codelist["gwn"], strict=True)
        if iso2 and gwn is not None and gwn == gwn
    }


# Gleditsch-Ward numbers ``countrycode`` lacks (Gleditsch and Ward 1999, "A revised list of independent
# states since 1816", and its updates): unified Yemen keeps North Yemen's 678, Serbia and Montenegro
# Yugoslavia's 345, Kosovo is 347. Microstates have none: Gleditsch-Ward leave them out.
GLEDITSCH_WARD_EXTRA = {"YE": 678, "CSXX": 345, "XK": 347}


def gleditsch_ward(country):
    if country.code in GLEDITSCH_WARD_EXTRA:
        return GLEDITSCH_WARD_EXTRA[country.code]
    if country.iso2:
        return gleditsch_ward_by_iso2().get(country.iso2)
    codes = cow_codes(None, country.name, country.official_name)
    return codes[0]  # former states: G-W keeps COW's number (265, 315, 345, 365)


def reference_day(year, today):
    """31 December of ``year``; this year, today."""
    return today if year == today.year else datetime.date(year, 12, 31)


def exists_on(country, day):
    return (country.exists_from is None or country.exists_from <= day) and (
        country.exists_to is None or day <= country.exists_to
    )


@functools.cache
def cow_abbreviations():
    """Every organization column of COW IGO v3 (534 lower-case abbreviations)."""
    return frozenset((DATA / "cow_igo_v3_abbreviations.txt").read_text(encoding="utf-8").split())


def column_names(organization):
    """The panel columns of an organization: (name, first year, last year), split where COW splits it.

    COW's abbreviation where COW has the organization; else our slug (``three_seas``), prefixed
    ``our_`` where COW uses that name for another body (``our_nrc``: COW's ``nrc`` is not the
    NATO-Russia Council).
    """
    if organization.slug in SPLITS:
        return SPLITS[organization.slug]
    if organization.cow_igo:
        return ((organization.cow_igo.lower(), None, None),)
    name = organization.slug.replace("-", "_")
    return ((f"our_{name}" if name in cow_abbreviations() else name, None, None),)


class Panel:
    """The data set read once and coded COW's way: ``rows()``, ``cell()``, ``columns``."""

    def __init__(self, today=None):
        self.today = today or datetime.date.today()
        self.countries = {c.pk: c for c in Country.objects.all()}
        self.organizations = list(Organization.objects.order_by("slug"))
        self.periods = defaultdict(list)
        for country, organization, start, end, status in Membership.objects.values_list(
            "country_id", "organization_id", "start_date", "end_date", "status"
        ):
            self.periods[(country, organization)].append((start, end, status))
        self.columns = sorted(
            ((name, first, last, o) for o in self.organizations for name, first, last in column_names(o)),
            key=lambda column: column[0],
        )
        self.holders = self._holders()
        self.spans = defaultdict(list)
        for span in state_system():
            self.spans[span.ccode].append(span)
        self._rows = None

    def _holders(self):
        """COW code -> the states of ours that may hold it (their existence says on which days)."""
        by_code = {c.code: c for c in self.countries.values()}
        codes = {pk: c.cow_code for pk, c in self.countries.items()}
        # A continuation without a COW code of its own keeps its predecessor's (YUG -> SCG -> Serbia).
        successions = Succession.objects.filter(kind="continuation").order_by("date")
        for predecessor, successor in successions.values_list("predecessor_id", "successor_id"):
            if codes.get(successor) is None and codes.get(predecessor) is not None:
                codes[successor] = codes[predecessor]
        holders = defaultdict(list)
        for pk, code in codes.items():
            if code is not None:
                holders[code].append(self.countries[pk])
        for code, country in EXTRA_CODES.items():
            if country in by_code:
                holders[code].append(by_code[country])
        return holders

    def holder(self, ccode, day):
        """Our state that holds COW code ``ccode`` on ``day``, or None."""
        spans = self.spans.get(ccode, ())
        if spans and not any(in_system(s, day) for s in spans):
            return None
        for country in self.holders.get(ccode, ()):
            if exists_on(country, day):
                return country
        return None

    def status_code(self, country, organization, day):
        for start, end, status in self.periods.get((country.pk, organization.pk), ()):
            if start <= day and (end is None or day <= end):
                return STATUS_CODES.get(status, NOT_A_MEMBER)
        return NOT_A_MEMBER

    def status_on(self, country, organization, day):
        for start, end, status in self.periods.get((country.pk, organization.pk), ()):
            if start <= day and (end is None or day <= end):
                return status
        return None

    def day_of(self, organization, year):
        """The day a year is coded from for ``organization``, or None if it did not exist that year."""
        day = reference_day(year, self.today)
        if organization.founded > day:
            return None
        if organization.dissolved is not None:
            if organization.dissolved < datetime.date(year, 1, 1):
                return None
            day = min(day, organization.dissolved)
        return day

    def cell(self, ccode, year, column):
        """The COW code of one cell (``column`` one of ``self.columns``), and the state it was read from."""
        _, first, last, organization = column
        if (first is not None and year < first) or (last is not None and year > last):
            return NOT_IN_EXISTENCE, None
        day = self.day_of(organization, year)
        if day is None:
            return NOT_IN_EXISTENCE, None
        country = self.holder(ccode, day)
        if country is None:
            # Dissolved before the state entered the system that year (COW's 0), or no state of ours.
            known = self.holder(ccode, reference_day(year, self.today)) is not None
            return (NOT_A_MEMBER if known else MISSING), None
        return self.status_code(country, organization, day), country

    def state_years(self):
        """(ccode, year, span): every COW state in the system on each year's reference day."""
        for year in range(FIRST_YEAR, self.today.year + 1):
            day = reference_day(year, self.today)
            seen = set()
            for span in state_system():
                if in_system(span, day) and span.ccode not in seen:
                    seen.add(span.ccode)
                    yield span.ccode, year, span

    def rows(self):
        """One list per state-year: the identifier columns (``ID_COLUMNS``) then one code per column.

        Coded once per panel: the panel table and the dyads read the same rows."""
        if self._rows is None:
            self._rows = list(self._code_rows())
        return iter(self._rows)

    def _code_rows(self):
        for ccode, year, span in self.state_years():
            country = self.holder(ccode, reference_day(year, self.today))
            ids = [
                ccode,
                year,
                span.stateabb,
                country.iso3 if country else "",
                gleditsch_ward(country) if country else None,
                country.code if country else "",
                country.name if country else span.name,
            ]
            yield ids + [self.cell(ccode, year, column)[0] for column in self.columns]


ID_COLUMNS = ["ccode", "year", "stateabb", "iso3", "gwno", "code", "country"]


def read_cow():
    """COW IGO v3's codes for the organizations we cover: {(ccode, year): {column: code}}, and its columns."""
    with gzip.open(COW_IGO_FILE, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [c for c in reader.fieldnames if c not in ("ccode", "year", "state")]
        cells = {
            (int(row["ccode"]), int(row["year"])): {c: int(row[c]) for c in columns if row[c] != ""} for row in reader
        }
    return cells, columns


@dataclass
class Difference:
    """A run of consecutive years in which one panel cell differs from COW IGO v3 in the same way."""

    ccode: int
    state: str
    code: str
    column: str
    organization: str
    first_year: int
    last_year: int
    cow: int
    ours: int
    kind: str

    @property
    def years(self):
        return str(self.first_year) if self.first_year == self.last_year else f"{self.first_year}–{self.last_year}"

    @property
    def explanation(self):
        return CLASSES[self.kind]

    def row(self):
        return [
            self.ccode,
            self.state,
            self.code,
            self.column,
            self.organization,
            self.first_year,
            self.last_year,
            self.cow,
            self.ours,
            self.kind,
        ]


DIFFERENCE_COLUMNS = [
    "ccode",
    "stateabb",
    "code",
    "column",
    "organization",
    "first_year",
    "last_year",
    "cow",
    "panel",
    "class",
]


def classify(panel, ccode, year, column, cow, ours, country):
    """Which rule explains that the panel codes ``ours`` where COW codes ``cow``."""
    organization = column[3]
    if NOT_IN_EXISTENCE in (cow, ours):
        return "organization_dates"
    if ours == MISSING:
        return "no_data"
    if cow == MISSING:
        return "cow_missing"
    day = panel.day_of(organization, year)
    if country is not None and panel.status_on(country, organization, day) == "suspended":
        return "suspended"
    if country is not None and cow in _codes_during(panel, country, organization, year):
        return "year_level"
    if cow > 0 and ours > 0:
        return "status_differs"
    return "product_lacks" if cow > 0 else "cow_lacks"


def _codes_during(panel, country, organization, year):
    """Every code the state held in the organization on some day of ``year``."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    codes = {NOT_A_MEMBER}
    spans = panel.periods.get((country.pk, organization.pk), ())
    if any(start <= first and (end is None or end >= last) for start, end, _ in spans):
        codes = set()  # one period covers the whole year
    for start, end, status in spans:
        if start <= last and (end is None or end >= first):
            codes.add(STATUS_CODES.get(status, NOT_A_MEMBER))
    return codes


def compare(panel=None, *, cow=None):
    """Every difference between the panel and COW IGO v3 on their shared cells, in runs of years.

    Shared cells: a (ccode, year) row in both (1945–2014), a column COW has. Rows only one side
    has are not differences of code; ``row_differences`` lists them.
    """
    panel = panel or Panel()
    cells, cow_columns = cow or read_cow()
    columns = [c for c in panel.columns if c[0] in cow_columns]
    runs = {}
    found = []
    for ccode, year, span in panel.state_years():
        if year > COW_LAST_YEAR or (ccode, year) not in cells:
            continue
        theirs = cells[(ccode, year)]
        for column in columns:
            cow_code = theirs.get(column[0])
            if cow_code is None:
                continue
            ours, country = panel.cell(ccode, year, column)
            if ours == cow_code:
                continue
            holder = country or panel.holder(ccode, reference_day(year, panel.today))
            kind = classify(panel, ccode, year, column, cow_code, ours, country)
            key = (ccode, column[0])
            run = runs.get(key)
            if run and run.last_year == year - 1 and (run.cow, run.ours, run.kind) == (cow_code, ours, kind):
                run.last_year = year
                continue
            run = Difference(
                ccode,
                span.stateabb,
                holder.code if holder else "",
                column[0],
                column[3].slug,
                year,
                year,
                cow_code,
                ours,
                kind,
            )
            runs[key] = run
            found.append(run)
    found.sort(key=lambda d: (d.state, d.column, d.first_year))
    return found


def row_differences(panel=None, *, cow=None):
    """(ccode, year) rows 1945–2014 that only COW, or only the panel, has."""
    panel = panel or Panel()
    cells, _ = cow or read_cow()
    ours = {(ccode, year) for ccode, year, _ in panel.state_years() if year <= COW_LAST_YEAR}
    theirs = {key for key in cells if key[1] >= FIRST_YEAR}
    return sorted(theirs - ours), sorted(ours - theirs)


def joint(a, b):
    """COW's dyadic code of two states' codes: 1 both full members, 0 not, -1 no organization, -9 missing."""
    if NOT_IN_EXISTENCE in (a, b):
        return NOT_IN_EXISTENCE
    if MISSING in (a, b):
        return MISSING
    return 1 if a == b == 1 else NOT_A_MEMBER


DYAD_ID_COLUMNS = ["ccode1", "ccode2", "year", "stateabb1", "stateabb2"]


def dyad_rows(panel=None):
    """One row per pair of COW states in the system that year (ccode1 < ccode2), one joint code per column.

    Each row is (the identifier cells, the codes joined by commas), for ``csvfile.Writer.writerow_joined``.

    The states' codes of a year are read once; pairs with the same two code vectors (most
    states outside Europe share a few) are joined once.
    """
    panel = panel or Panel()
    by_year = defaultdict(list)
    for row in panel.rows():
        by_year[row[1]].append((row[0], row[2], tuple(row[len(ID_COLUMNS) :])))
    joined = {}
    for year in sorted(by_year):
        states = sorted(by_year[year])
        for i, (ccode1, abb1, codes1) in enumerate(states):
            for ccode2, abb2, codes2 in states[i + 1 :]:
                key = (codes1, codes2)
                codes = joined.get(key)
                if codes is None:
                    codes = joined[key] = ",".join(str(joint(a, b)) for a, b in zip(codes1, codes2, strict=True))
                yield [ccode1, ccode2, year, abb1, abb2], codes


@dataclass
class StateGaps:
    """One state's differences from COW IGO v3: what COW names that the data set lacks, then the rest."""

    ccode: int
    stateabb: str
    code: str
    name: str
    lacks: list
    others: list


def gaps(*, code=None, kind=None, panel=None, differences=None):
    """The gaps report, per state (by name): ``code`` one of our country codes, ``kind`` one of ``CLASSES``.

    ``differences``: ``compare()``'s answer, if the caller keeps it. ``lacks`` holds the
    organizations COW IGO v3 names for the state in a year (in the
    organizations the data set covers) that the data set lacks; ``others`` every other cell
    where COW's year-level code disagrees, each with the rule that explains it.
    """
    names = dict(Country.objects.values_list("code", "name"))
    by_state = {}
    for difference in differences if differences is not None else compare(panel):
        if (code and difference.code != code) or (kind and difference.kind != kind):
            continue
        key = (difference.ccode, difference.code)
        state = by_state.get(key)
        if state is None:
            name = names.get(difference.code) or difference.state
            state = by_state[key] = StateGaps(difference.ccode, difference.state, difference.code, name, [], [])
        (state.lacks if difference.kind == "product_lacks" else state.others).append(difference)
    return sorted(by_state.values(), key=lambda s: (s.name, s.ccode))
