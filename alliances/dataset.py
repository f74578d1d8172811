"""The open data set: a Frictionless Data Package of every table, and a COW IGO country-year panel.

``write_package(directory)`` writes one CSV per table with a Table Schema each
(types, primary and foreign keys) in ``datapackage.json``, with the licence, the
sources, the data version and the creation time. The panel
(``cow_igo_panel.csv``) follows the Correlates of War IGO state-year layout:

* one row per state (former states too) and year, 1945 to the current year, one column per
  organization (its COW IGO abbreviation, else its acronym, lower case);
* a year is coded from the status the state held on the **reference day**:
  31 December of that year (for the current year, today), as COW codes the
  status at the end of the year;
* 1 full member (``member``; also ``suspended``: a suspended member is still a
  member in law), 2 associate (``associate``), 3 observer (``observer``),
  0 none (no period, or ``partner``, ``candidate``, ``applicant``: none is
  membership in COW's sense), -1 the state did not exist on the reference day
  (from ``exists_from``/``exists_to`` where the data has them).
"""

import datetime
import json
from collections import defaultdict
from pathlib import Path

from django.conf import settings

from alliances import audit, csvfile
from alliances.choices import DatePrecision
from alliances.models import Citation, Country, Membership, Organization, Source, Succession
from alliances.rules.periods import contains

FIRST_PANEL_YEAR = 1945
PRECISE_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
COW_CODES = {"member": 1, "suspended": 1, "associate": 2, "observer": 3}
NOT_A_STATE = -1


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
        _field("note", "string", "Context and doubts."),
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
            m.note,
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
        _field("note", "string", "What is uncertain about it."),
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
        _field("note", "string", "Context; other sources."),
        _field("source", "string", "Slug of the source."),
        _field("quote", "string", "The sentence of the source, verbatim."),
    ]
    rows = (
        [s.predecessor.code, s.successor.code, s.date, s.kind, s.note, s.source.slug if s.source else "", s.quote]
        for s in Succession.objects.select_related("predecessor", "successor", "source").order_by("date", "pk")
    )
    keys = [
        {"fields": "predecessor", "reference": {"resource": "countries", "fields": "code"}},
        {"fields": "successor", "reference": {"resource": "countries", "fields": "code"}},
    ]
    return "successions", fields, ["predecessor", "successor", "date"], keys, rows


def reference_day(year, today):
    return today if year == today.year else datetime.date(year, 12, 31)


def panel_code(periods, day):
    """The COW code of the status held on ``day`` among ``periods`` ((start, end, status) tuples)."""
    for start, end, status in periods:
        if contains(start, end, day):
            return COW_CODES.get(status, 0)
    return 0


def exists_on(country, day):
    start, end = getattr(country, "exists_from", None), getattr(country, "exists_to", None)
    return contains(start, end, day)


def panel_column(organization):
    return (organization.cow_igo or organization.acronym).lower()


def panel_table(today=None):
    today = today or datetime.date.today()
    organizations = list(Organization.objects.order_by("slug"))
    periods = defaultdict(list)
    for m in Membership.objects.values_list("country_id", "organization_id", "start_date", "end_date", "status"):
        periods[(m[0], m[1])].append(m[2:])
    fields = [
        _field("ccode", "integer", "Correlates of War state code; empty where COW has none."),
        _field("stateabb", "string", "Correlates of War state abbreviation."),
        _field("code", "string", "Our country code (countries.code).", required=True),
        _field("country", "string", "Name.", required=True),
        _field("year", "integer", "Year; coded from the status on 31 December (this year: today).", required=True),
    ] + [
        _field(
            panel_column(o),
            "integer",
            f"{o.name}: 1 full member, 2 associate, 3 observer, 0 none, -1 state not in existence.",
            required=True,
            enum=[-1, 0, 1, 2, 3],
        )
        for o in organizations
    ]

    def rows():
        for country in Country.objects.order_by("code"):
            for year in range(FIRST_PANEL_YEAR, today.year + 1):
                day = reference_day(year, today)
                exists = exists_on(country, day)
                codes = [
                    panel_code(periods.get((country.pk, o.pk), ()), day) if exists else NOT_A_STATE
                    for o in organizations
                ]
                yield [country.cow_code, country.cow_abbr, country.code, country.name, year, *codes]

    return "cow_igo_panel", fields, ["code", "year"], [], rows()


def tables():
    return [
        country_table,
        organization_table,
        source_table,
        membership_table,
        citation_table,
        succession_table,
        panel_table,
    ]


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
    for build in tables():
        name, fields, primary_key, foreign_keys, rows = build()
        path = f"{name}.csv"
        count = 0
        with open(directory / path, "w", newline="", encoding="utf-8") as handle:
            writer = csvfile.Writer(handle, cell=_text)  # neutralises formulas, as the API's CSV does
            writer.writerow([f["name"] for f in fields])
            for row in rows:
                writer.writerow(row)
                count += 1
                if progress and count % 5000 == 0:
                    progress(f"{path}: {count:,} rows")
        if progress:
            progress(f"{path}: {count:,} rows written")
        schema = {"fields": fields}
        if primary_key:
            schema["primaryKey"] = primary_key
        if foreign_keys:
            schema["foreignKeys"] = foreign_keys
        resources.append(
            {
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
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
