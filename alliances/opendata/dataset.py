"""The open data set: a Frictionless Data Package of every table, and the COW IGO tables.

``write_package(directory)`` writes one CSV per table with a Table Schema each
(types, primary and foreign keys) in ``datapackage.json``, with the licence, the
sources, the data version and the creation time. The COW IGO tables
(``cow_igo_panel.csv``, ``cow_igo_differences.csv`` and ``cow_igo_dyadic.csv.gz``) follow
the Correlates of War IGO v3 layout and codes; ``alliances.opendata.cow`` builds them and says how.
"""

import datetime
import functools
import gzip
import io
import json
from pathlib import Path

from django.conf import settings

from alliances.choices import DatePrecision
from alliances.models import Citation, Country, Membership, Organization, Source, Succession
from alliances.opendata import cow, csvfile
from alliances.rules.periods import contains
from alliances.store import audit

FIRST_PANEL_YEAR = cow.FIRST_YEAR
PRECISE_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
# Written gzipped: a million rows. Only where settings.DATASET_DYADIC says so.
COMPRESSED = {"cow_igo_dyadic"}
# What a user of COW IGO v3 must know before dropping these tables in: said in datapackage.json itself.
DESCRIPTIONS = {
    "cow_igo_panel": (
        "State-year panel in the layout and codes of COW IGO v3 (state_year_format3): rows only for states in "
        "COW's state system (states2016) on 31 December, under the code COW gives them that year (260 for the "
        "Federal Republic 1955-1989, 255 from 1990; 345 for Yugoslavia, Serbia and Montenegro, Serbia; 365 once "
        "a year). A year is coded from the status on 31 December (this year: today), or on the organization's "
        "last day if it was dissolved that year. Our statuses: member 1, associate 2, observer 3; suspended 0 "
        "(a suspended state takes no part, as COW codes it); partner, candidate, applicant and no period 0; "
        "-1 the organization not in existence; -9 a COW state none of our states holds. Columns by COW "
        "abbreviation where COW has the organization (the EU split into eec to 1992 and eu from 1993), our slug "
        "otherwise."
    ),
    "cow_igo_differences": (
        "Every cell of cow_igo_panel that differs from COW IGO v3 (1945-2014), in runs of years, each classed "
        "by the rule that explains it; every other shared cell agrees (tested against the COW file)."
    ),
    "cow_igo_dyadic": (
        "Dyad-year table in COW IGO v3's dyadic layout: one row per pair of COW states (ccode1 < ccode2) and "
        "year; 1 both full members, 0 not, -1 the organization not in existence, -9 missing."
    ),
}


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _field(name, type_, description, **constraints):
    field = {"name": name, "type": type_, "description": description}
    if type_ == "boolean":
        field.update(trueValues=["true"], falseValues=["false"])
    if constraints:
        field["constraints"] = constraints
    return field


def _attributes(record, fields, **shown):
    """A row of a table whose every column is the record's attribute of that name (``shown``: its own value)."""
    return [shown[f["name"]] if f["name"] in shown else getattr(record, f["name"]) for f in fields]


def country_table():
    fields = [
        _field(
            "code",
            "string",
            "The key: ISO 3166-1 alpha-2 code, or ISO 3166-3 four-letter code of a former state.",
            required=True,
            unique=True,
        ),
        _field("iso2", "string", "ISO 3166-1 alpha-2 code; empty for a former state."),
        _field("iso3", "string", "ISO 3166-1 alpha-3 code."),
        _field("numeric", "string", "ISO 3166-1 numeric code, three digits."),
        _field("name", "string", "Short English name.", required=True),
        _field("official_name", "string", "Official name, where it differs."),
        _field("exists_from", "date", "First day as a state, where recorded."),
        _field("exists_to", "date", "Last day as a state; empty if it exists."),
        _field("cow_code", "integer", "Correlates of War state code (from the countrycode package)."),
        _field("cow_abbr", "string", "Correlates of War state abbreviation."),
    ]
    rows = (_attributes(c, fields) for c in Country.objects.order_by("code"))
    return "countries", fields, ["code"], [], rows


def organization_table():
    fields = [
        _field("slug", "string", "Identifier; the key.", required=True, unique=True),
        _field("acronym", "string", "Usual abbreviation."),
        _field("name", "string", "Full English name.", required=True),
        _field("kind", "string", "What sort of body it is."),
        _field("founded", "string", "Founding date, as far as known.", required=True, pattern=PRECISE_DATE),
        _field("founded_precision", "string", "day, month or year.", enum=list(DatePrecision.values)),
        _field("dissolved", "date", "Dissolution date, if any."),
        _field("dormant_since", "date", "First day it stopped meeting, if it exists only on paper."),
        _field("website", "string", "Official website."),
        _field("cow_igo", "string", "Abbreviation (ioname) in the Correlates of War IGO data set v3."),
        _field("wikidata", "string", "Wikidata item ID."),
        _field("identifiers_source", "string", "Where cow_igo and wikidata were taken from."),
        _field("members_must_belong_to", "string", "Slugs of organizations every member must belong to, joined by |."),
    ]
    # Every column but the last is the attribute of its name; the last joins the required organizations.
    rows = (
        [
            *_attributes(o, fields[:-1], founded=o.founded_text),
            "|".join(sorted(r.slug for r in o.members_must_belong_to.all())),
        ]
        for o in Organization.objects.prefetch_related("members_must_belong_to").order_by("slug")
    )
    return "organizations", fields, ["slug"], [], rows


def membership_table():
    fields = [
        _field("country", "string", "Code of the state (countries.code).", required=True),
        _field("organization", "string", "Slug of the organization.", required=True),
        _field("status", "string", "member, candidate, partner, observer, suspended, …", required=True),
        _field("own_status", "string", "The organization's own word for the status, where it has one."),
        _field("founding", "boolean", "Whether the state was a founder."),
        _field(
            "start_date",
            "string",
            "First day of the period (inclusive), as far as known: 1992-06-15, 1992-06 or 1992.",
            required=True,
            pattern=PRECISE_DATE,
        ),
        _field("start_precision", "string", "day, month or year.", required=True, enum=list(DatePrecision.values)),
        _field(
            "end_date",
            "string",
            "Last day of the period (inclusive), as far as known; empty: ongoing.",
            pattern=PRECISE_DATE,
        ),
        _field("end_precision", "string", "day, month or year.", required=True, enum=list(DatePrecision.values)),
    ]
    rows = (
        [
            m.country.code,
            m.organization.slug,
            m.status,
            m.own_status,
            m.founding,
            m.start_text,
            m.start_precision,
            m.end_text,
            m.end_precision,
        ]
        for m in Membership.objects.select_related("country", "organization").order_by(
            "organization__slug", "country__code", "start_date"
        )
    )
    keys = [
        {"fields": "country", "reference": {"resource": "countries", "fields": "code"}},
        {"fields": "organization", "reference": {"resource": "organizations", "fields": "slug"}},
    ]
    return "memberships", fields, ["country", "organization", "start_date"], keys, rows


def source_table():
    fields = [
        _field("slug", "string", "Identifier; the key.", required=True, unique=True),
        _field("title", "string", "Title of the document.", required=True),
        _field("publisher", "string", "Who published it."),
        _field("url", "string", "Where it can be read."),
        _field("published", "date", "Publication date, where known."),
        _field("kind", "string", "What sort of document it is."),
    ]
    rows = (_attributes(s, fields) for s in Source.objects.order_by("slug"))
    return "sources", fields, ["slug"], [], rows


def citation_table():
    fields = [
        _field("source", "string", "Slug of the source.", required=True),
        _field("organization", "string", "Slug of the organization.", required=True),
        _field(
            "country", "string", "ISO alpha-2 code of the membership's state; empty: a fact about the organization."
        ),
        _field(
            "start_date", "string", "Start of the membership period cited; empty with country.", pattern=PRECISE_DATE
        ),
        _field("quote", "string", "The sentence of the source, verbatim.", required=True),
    ]
    rows = (
        [
            c.source.slug,
            c.organization.slug,
            c.membership.country.code if c.membership else "",
            c.membership.start_text if c.membership else None,
            c.quote,
        ]
        for c in Citation.objects.select_related("source", "organization", "membership__country").order_by("pk")
    )
    keys = [
        {"fields": "source", "reference": {"resource": "sources", "fields": "slug"}},
        {"fields": "organization", "reference": {"resource": "organizations", "fields": "slug"}},
    ]
    return "citations", fields, [], keys, rows


def succession_table():
    fields = [
        _field("predecessor", "string", "Code of the earlier state.", required=True),
        _field("successor", "string", "Code of the later state.", required=True),
        _field("date", "date", "The successor's first day in its new role.", required=True),
        _field("kind", "string", "What sort of succession.", required=True),
        _field("source", "string", "Slug of the source."),
        _field("quote", "string", "The sentence of the source, verbatim."),
    ]
    rows = (
        [s.predecessor.code, s.successor.code, s.date, s.kind, s.source.slug if s.source else "", s.quote]
        for s in Succession.objects.select_related("predecessor", "successor", "source").order_by("date", "pk")
    )
    keys = [
        {"fields": "predecessor", "reference": {"resource": "countries", "fields": "code"}},
        {"fields": "successor", "reference": {"resource": "countries", "fields": "code"}},
    ]
    return "successions", fields, ["predecessor", "successor", "date"], keys, rows


def reference_day(year, today):
    return cow.reference_day(year, today)


def panel_code(periods, day):
    """The COW code of the status held on ``day`` among ``periods`` ((start, end, status) tuples)."""
    for start, end, status in periods:
        if contains(start, end, day):
            return cow.STATUS_CODES.get(status, cow.NOT_A_MEMBER)
    return cow.NOT_A_MEMBER


def panel_column(organization):
    """The panel column of an organization (the first, for one COW splits: the EU's ``eec``)."""
    return cow.column_names(organization)[0][0]


def _code_field(name, description):
    return _field(name, "integer", description, required=True, enum=cow.CODES)


def _column_description(name, first, last, organization):
    years = f" ({first or cow.FIRST_YEAR}–{last})" if last else (f" (from {first})" if first else "")
    named = f"COW IGO v3 {organization.cow_igo}" if organization.cow_igo else "not in COW IGO v3: our acronym"
    if organization.slug in cow.SPLITS:
        named = f"COW IGO v3 {name.upper()}, COW's split of the data set's {organization.acronym}"
    return f"{organization.name}{years}, {named}: {cow.CODE_MEANINGS}."


def panel_table(panel):
    """The COW-layout state-year panel (``alliances.opendata.cow``): COW's rows, codes and column names."""
    fields = [
        _field(
            "ccode",
            "integer",
            "Correlates of War state code, as COW gives it that year (260, then 255).",
            required=True,
        ),
        _field("year", "integer", "Year; coded from the status on 31 December (this year: today).", required=True),
        _field("stateabb", "string", "Correlates of War state abbreviation (states2016)."),
        _field("iso3", "string", "ISO 3166-1 alpha-3 code (ISO 3166-3 for a former state) of the state holding ccode."),
        _field("gwno", "integer", "Gleditsch–Ward state number (from the countrycode package)."),
        _field("code", "string", "Our country code (countries.code); empty where none of our states holds ccode."),
        _field("country", "string", "Name."),
    ] + [_code_field(name, _column_description(name, first, last, o)) for name, first, last, o in panel.columns]
    return "cow_igo_panel", fields, ["ccode", "year"], [], panel.rows()


def cow_differences_table(panel):
    """Every cell where the panel differs from COW IGO v3 (1945–2014), in runs of years, each with its rule."""
    cells = cow.read_cow()
    fields = [
        _field("ccode", "integer", "Correlates of War state code.", required=True),
        _field("stateabb", "string", "Correlates of War state abbreviation."),
        _field("code", "string", "Our country code of the state holding ccode; empty: none."),
        _field("column", "string", "The panel column (COW abbreviation); empty for a row only COW has."),
        _field("organization", "string", "Slug of the organization; empty for a row only COW has."),
        _field("first_year", "integer", "First year of the run.", required=True),
        _field("last_year", "integer", "Last year of the run.", required=True),
        _field("cow", "integer", f"COW IGO v3's code: {cow.CODE_MEANINGS}."),
        _field("panel", "integer", "The panel's code."),
        _field("class", "string", "The rule that explains the difference.", required=True, enum=list(cow.CLASSES)),
        _field("explanation", "string", "What the class means."),
    ]

    def rows():
        only_cow, _ = cow.row_differences(panel, cow=cells)
        abbreviations = {s.ccode: s.stateabb for s in cow.state_system()}
        for ccode, year in only_cow:
            kind = "row_only_in_cow"
            yield [ccode, abbreviations.get(ccode, ""), "", "", "", year, year, None, None, kind, cow.CLASSES[kind]]
        for difference in cow.compare(panel, cow=cells):
            yield [*difference.row(), difference.explanation]

    return "cow_igo_differences", fields, [], [], rows()


def dyadic_table(panel):
    """COW's dyadic layout: one row per pair of COW states and year, 1 where both are full members."""
    fields = [
        _field("ccode1", "integer", "The lower COW state code of the pair.", required=True),
        _field("ccode2", "integer", "The higher COW state code of the pair.", required=True),
        _field("year", "integer", "Year, coded as the state-year panel codes it.", required=True),
        _field("stateabb1", "string", "COW abbreviation of ccode1."),
        _field("stateabb2", "string", "COW abbreviation of ccode2."),
    ] + [
        _field(
            name,
            "integer",
            f"{o.name}: 1 both full members, 0 not, -1 organization not in existence, -9 missing.",
            required=True,
            enum=[cow.MISSING, cow.NOT_IN_EXISTENCE, cow.NOT_A_MEMBER, 1],
        )
        for name, _, _, o in panel.columns
    ]
    return "cow_igo_dyadic", fields, ["ccode1", "ccode2", "year"], [], cow.dyad_rows(panel)


def tables(panel):
    """The package's tables in order; the three COW tables share ``panel``, one COW-coded reading of the data."""
    return [
        country_table,
        organization_table,
        source_table,
        membership_table,
        citation_table,
        succession_table,
        functools.partial(panel_table, panel),
        functools.partial(cow_differences_table, panel),
        *([functools.partial(dyadic_table, panel)] if settings.DATASET_DYADIC else []),
    ]


def _open(path, compressed):
    if compressed:
        # mtime=0: the same data gives the same bytes.
        # Level 6, zlib's default: level 9 took a quarter of the dyadic table's time for 5% fewer bytes.
        return io.TextIOWrapper(gzip.GzipFile(path, "wb", compresslevel=6, mtime=0), encoding="utf-8", newline="")
    return open(path, "w", newline="", encoding="utf-8")


def write_package(directory, *, progress=None, created=None):
    """Write every table and ``datapackage.json`` into ``directory``; returns the descriptor."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with audit.snapshot():  # every table of the package, and its version, from one committed state
        return _write_package(directory, progress, created)


def _write_package(directory, progress, created):
    version = audit.data_version()
    created = created or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    resources = []
    # Read once: the panel, its differences and the dyads code the same state-years.
    for build in tables(cow.Panel()):
        name, fields, primary_key, foreign_keys, rows = build()
        compressed = name in COMPRESSED
        path = f"{name}.csv.gz" if compressed else f"{name}.csv"
        count = 0
        with _open(directory / path, compressed) as handle:
            writer = csvfile.Writer(handle, cell=_text)  # neutralises formulas, as the API's CSV does
            writer.writerow([f["name"] for f in fields])
            for row in rows:
                if compressed:
                    writer.writerow_joined(*row)  # the dyadic table: (identifiers, joined codes)
                else:
                    writer.writerow(row)
                count += 1
                if progress and count % (250_000 if compressed else 5000) == 0:
                    progress(f"{path}: {count:,} rows")
        if progress:
            progress(f"{path}: {count:,} rows written")
        # Only an empty cell is missing: Namibia's code NA is a code.
        schema = {"fields": fields, "missingValues": [""]}
        if primary_key:
            schema["primaryKey"] = primary_key
        if foreign_keys:
            schema["foreignKeys"] = foreign_keys
        resources.append(
            {
                "name": name,
                **({"description": DESCRIPTIONS[name]} if name in DESCRIPTIONS else {}),
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                **({"compression": "gz"} if compressed else {}),
                "schema": schema,
            }
        )
    descriptor = {
        "profile": "tabular-data-package",
        "name": "alliances",
        "title": "International organizations and their member states, with dated, sourced membership periods",
        "version": version,
        "created": created.isoformat().replace("+00:00", "Z"),
        "licenses": [settings.DATASET_LICENSE],
        "sources": [{"title": s.title, **({"path": s.url} if s.url else {})} for s in Source.objects.order_by("slug")],
        "resources": resources,
    }
    (directory / "datapackage.json").write_text(json.dumps(descriptor, indent=1, ensure_ascii=False), encoding="utf-8")
    return descriptor
