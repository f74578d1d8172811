"""Turn the research files (research/*.json) into data, through the same rules as every other write.

Run against a database that holds the current fixtures, then write the fixtures back:

    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py load_fixtures
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python research/build.py
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py export_fixtures

Every organization, source, state and period is validated (``full_clean()``: precision,
overlaps, existence spans, founding and dissolution, continuations) and saved through the
services; a fact a rule refuses is not written and is listed in research/REFUSED.md with
the rule's sentence, as are the facts this round does not model yet (organizations as
members, states no code names). Nothing here decides a date: each comes from its file.
"""

import datetime
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import transaction  # noqa: E402

from alliances import history, services  # noqa: E402
from alliances.models import (  # noqa: E402
    Citation,
    Country,
    CountryAlias,
    CountryCitation,
    Membership,
    Organization,
    OrganizationAlias,
    OrganizationMembership,
    OrganizationMembershipCitation,
    OrganizationName,
    OrganizationSuccession,
    Source,
    Succession,
)
from alliances.rules import periods  # noqa: E402
from alliances.store import audit  # noqa: E402
from alliances.text import normalize_name  # noqa: E402

FAMILIES = [
    "fixes",
    "un",
    "wto-oecd",
    "around-eu",
    "post-soviet",
    "regional",
    "clubs",
    "commonwealth-francophonie",
    "organization-life",
    # The gaps a check of twelve states on three days found (CEFTA, the Barents Council, CICA, GATT, Serbia).
    "gaps",
    # Last: it only repeats periods the others wrote, with a primary source (and the quote-check's answers).
    "primary-sources",
    # The same, one file per family of organizations (primary-un.json, primary-wto.json, …), plus the few
    # periods those searches found missing.
    *sorted(p.stem for p in (ROOT / "research").glob("primary-*.json") if p.stem != "primary-sources"),
]
# Open to every state and holding nearly all of them, as the UN does: grouped with it.
UNIVERSAL_TOO = {"wto": "universal", "gatt": "universal"}
# What the pages and lists show for bodies that have no acronym.
SHORT_NAMES = {
    "commonwealth": "Commonwealth",
    "nordic-council": "Nordic Council",
    "union-state": "Union State",
    "open-balkan": "Open Balkan",
    "lublin": "Lublin Triangle",
    "weimar": "Weimar Triangle",
}
KINDS = {"universal", "security_alliance", "economic_trade", "political_forum", "informal_club"}
SOURCE_KINDS = {"official_page", "treaty", "official_document", "news_article", "secondary"}

# States the research names without a code in the fixtures: how this data set holds them.
# (None: not modelled; the reason goes to the report.)
STATE_CODES = {
    "NEW:North Yemen": "YE",  # the Republic of Yemen kept North Yemen's seat and admission date: one state here
    "NEW:Tanganyika": "TZ",  # the United Republic kept Tanganyika's seat and admission date: one state here
    "NEW:Ukrainian SSR": "UASS",
    "NEW:Zanzibar": "ZBTZ",
}
NEW_STATES = {
    # code: (iso3, numeric, name, official name, exists_from, exists_to, successor, succession kind)
    # Renamed the Republic of Belarus on 19 September 1991, the day the UN seat took the new name.
    "BYAA": (
        "BYS",
        "112",
        "Byelorussian SSR",
        "Byelorussian Soviet Socialist Republic",
        None,
        "1991-09-18",
        "BY",
        "continuation",
    ),
    "UASS": (
        "XUS",
        "804",
        "Ukrainian SSR",
        "Ukrainian Soviet Socialist Republic",
        None,
        "1991-08-23",
        "UA",
        "continuation",
    ),
    "ZBTZ": ("XZB", "834", "Zanzibar", "People's Republic of Zanzibar", "1963-12-10", "1964-04-25", "TZ", "absorption"),
    "YDYE": (
        "YMD",
        "720",
        "South Yemen",
        "People's Democratic Republic of Yemen",
        "1967-11-30",
        "1990-05-21",
        "YE",
        "absorption",
    ),
}
# Kosovo: the user-assigned code XK (as the EU and others use it), XKX, and a user-assigned numeric code.
KOSOVO = {
    "code": "XK",
    "iso2": "XK",
    "iso3": "XKX",
    "numeric": "983",
    "name": "Kosovo",
    "official_name": "Republic of Kosovo",
    "exists_from": datetime.date(2008, 2, 17),
    "source": {
        "slug": "europarl-minutes-2008-02-18-kosovo",
        "title": "Minutes of the sitting of Monday 18 February 2008: statement by the President",
        "publisher": "European Parliament",
        "url": "https://www.europarl.europa.eu/doceo/document/PV-6-2008-02-18-ITM-002_IT.html",
        "published": datetime.date(2008, 2, 18),
        "kind": "official_document",
    },
    "quote": "Il Presidente fa una dichiarazione in occasione della proclamazione dell'indipendenza da parte del "
    "parlamento del Kosovo il 17 febbraio 2008.",
}
NOT_MODELLED = {
    "NEW:Turkish Republic of Northern Cyprus": "not a state in ISO 3166 or the UN system: not recorded",
    "NEW:Republic of Vietnam": "South Vietnam has no code here yet (its ACCT founding year only)",
    "NEW:United Arab Republic": "recorded through Egypt's continuous seat and Syria's gap",
}

refused = defaultdict(list)  # family -> [(fact label, reason)]
written = defaultdict(lambda: defaultdict(int))  # org -> precision -> count


def precise(text):
    """(day, precision) from "1992-06-15" / "1992-06" / "1992", or (None, "day") for None."""
    if text in (None, ""):
        return None, "day"
    day, precision = periods.parse_shown(str(text))
    return day, precision


def slugify(key):
    slug = re.sub(r"[^a-z0-9_-]+", "-", key.lower()).strip("-")
    return slug[:50]


def source_of(family, key, sources):
    """The Source for research key ``key`` of ``family`` (created on first use)."""
    found = sources.get((family, key))
    if found is not None:
        return found
    raw = next((s for s in RAW_SOURCES[family] if s["key"] == key), None)
    if raw is None:
        stored = Source.objects.filter(slug=key).first()  # a source the fixtures hold already
        if stored is None:
            raise ValidationError(f"unknown source key {key!r}")
        sources[(family, key)] = stored
        return stored
    slug = slugify(key)
    existing = Source.objects.filter(slug=slug).first()
    if existing is not None and existing.url and raw.get("url") and existing.url != raw["url"][:1000]:
        slug = slugify(f"{family}-{key}")
        existing = Source.objects.filter(slug=slug).first()
    if existing is None:
        kind = raw.get("kind") if raw.get("kind") in SOURCE_KINDS else "secondary"
        published = None
        if raw.get("published"):
            day, precision = precise(raw["published"])
            published = day if precision == "day" else None  # a month or year is not a publication day
        existing = services.record_save(
            Source(),
            slug=slug,
            title=(raw.get("title") or key)[:300],
            publisher=(raw.get("publisher") or "")[:200],
            url=(raw.get("url") or "")[:1000],
            published=published,
            kind=kind,
            note="",
        )
    sources[(family, key)] = existing
    return existing


def organization(family, raw, sources):
    slug = raw["slug"]
    found = Organization.objects.filter(slug=slug).first()
    if found is not None:
        if raw.get("dormant_since") and not found.dormant_since:
            day, _ = precise(raw["dormant_since"])
            services.record_save(found, dormant_since=day)
        return found
    founded, founded_precision = precise(raw.get("founded"))
    dissolved, dissolved_precision = precise(raw.get("dissolved"))
    if dissolved is not None and dissolved_precision != "day":
        dissolved = periods.earliest_day(dissolved, dissolved_precision)  # certainly existed until then
    kind = UNIVERSAL_TOO.get(slug) or (raw.get("kind") if raw.get("kind") in KINDS else "political_forum")
    org = services.record_save(
        Organization(),
        slug=slug,
        acronym=(raw.get("acronym") or SHORT_NAMES.get(slug) or slug.upper())[:20],
        name=raw["name"][:200],
        kind=kind,
        founded=founded,
        founded_precision=founded_precision,
        dissolved=dissolved,
        dormant_since=precise(raw.get("dormant_since"))[0],
        website=(raw.get("website") or "")[:200],
        description=(raw.get("description") or "")[:2000],
        identifiers_source="Not yet checked against COW IGO v3 or Wikidata: cow_igo and wikidata are left empty.",
    )
    if raw.get("source") and raw.get("quote"):
        services.record_save(
            Citation(),
            source=source_of(family, raw["source"], sources),
            organization=org,
            membership=None,
            quote=raw["quote"],
        )
    # Its own name and acronym are aliases too (as for every organization), then its earlier names.
    names = [org.name, org.acronym] + [n.get(k) for n in raw.get("names") or [] for k in ("name", "acronym")]
    for alias in dict.fromkeys(n for n in names if n):
        if not OrganizationAlias.objects.filter(normalized=normalize_name(alias)).exists():
            services.record_save(OrganizationAlias(organization=org), name=alias)
    return org


def state(code):
    code = STATE_CODES.get(code, code)
    return Country.objects.filter(code=code).first()


# Former and colloquial names of states whose code did not change, so a reader's word finds them.
FORMER_NAMES = {
    "MM": ["Burma"],
    "SZ": ["Swaziland"],
    "CD": ["Zaire"],
    "TL": ["East Timor"],
    "CV": ["Cape Verde"],
    "KH": ["Kampuchea"],
    "BJ": ["Dahomey"],
    "BF": ["Upper Volta"],
    "LK": ["Ceylon"],
    "IR": ["Persia"],
    "TH": ["Siam"],
    "BW": ["Bechuanaland"],
    "LS": ["Basutoland"],
    "MW": ["Nyasaland"],
    "GH": ["Gold Coast"],
    "TZ": ["Tanganyika"],
    "SR": ["Dutch Guiana"],
    "BZ": ["British Honduras"],
    "YE": ["North Yemen", "Yemen Arab Republic"],
}


def former_names():
    for code, names in FORMER_NAMES.items():
        country = Country.objects.get(code=code)
        for name in names:
            if not CountryAlias.objects.filter(normalized=normalize_name(name)).exists():
                services.record_save(CountryAlias(country=country), name=name)


def kosovo():
    if Country.objects.filter(code="XK").exists():
        return
    fields = {k: v for k, v in KOSOVO.items() if k not in ("source", "quote")}
    country = services.record_save(Country(), **fields)
    source = Source.objects.filter(slug=KOSOVO["source"]["slug"]).first() or services.record_save(
        Source(), note="", **KOSOVO["source"]
    )
    services.record_save(CountryCitation(), country=country, source=source, quote=KOSOVO["quote"])
    for name in ("Kosovo", "Republic of Kosovo", "Kosova"):
        if not CountryAlias.objects.filter(normalized=normalize_name(name)).exists():
            services.record_save(CountryAlias(country=country), name=name)


def new_states(sources, family, raw_states):
    for code, (iso3, numeric, name, official, start, end, successor, kind) in NEW_STATES.items():
        if Country.objects.filter(code=code).exists():
            continue
        country = services.record_save(
            Country(),
            code=code,
            iso2=None,
            iso3=iso3,
            numeric=numeric,
            name=name,
            official_name=official,
            exists_from=datetime.date.fromisoformat(start) if start else None,
            exists_to=datetime.date.fromisoformat(end),
        )
        # Its names were aliases of its successor ("Byelorussian SSR" found Belarus): they are its own now.
        for alias in {normalize_name(name), normalize_name(official)}:
            CountryAlias.objects.filter(normalized=alias).delete()
            services.record_save(
                CountryAlias(country=country), name=name if alias == normalize_name(name) else official
            )
        raw = next(
            (s for f, ss in raw_states.items() for s in ss if STATE_CODES.get(s["code"], s["code"]) == code), None
        )
        if raw and raw.get("source") and raw.get("quote"):
            fam = next(f for f, ss in raw_states.items() if raw in ss)
            source = source_of(fam, raw["source"], sources)
            services.record_save(CountryCitation(), country=country, source=source, quote=raw["quote"])
            services.record_save(
                Succession(),
                predecessor=country,
                successor=Country.objects.get(code=successor),
                date=country.exists_to + datetime.timedelta(days=1),
                kind=kind,
                note=raw.get("note", ""),
                source=source,
                quote=raw["quote"],
            )


def merged(facts):
    """Facts of one state and organization that continue each other (the same status, the next day,
    e.g. North Yemen's seat and the Republic of Yemen's) become one period."""
    out = []
    for fact in sorted(facts, key=lambda f: (f["_code"], f["org"], str(f.get("start")))):
        prev = out[-1] if out else None
        if (
            prev is not None
            and (prev["_code"], prev["org"], prev["status"]) == (fact["_code"], fact["org"], fact["status"])
            and prev.get("end")
            and fact.get("start")
            and len(str(prev["end"])) == 10
            and len(str(fact["start"])) == 10
            and datetime.date.fromisoformat(prev["end"]) + datetime.timedelta(days=1)
            == datetime.date.fromisoformat(fact["start"])
        ):
            prev["end"], prev["end_source"], prev["end_quote"] = (
                fact.get("end"),
                fact.get("end_source"),
                fact.get("end_quote"),
            )
            prev["note"] = " ".join(filter(None, [prev.get("note"), fact.get("note")]))
            continue
        out.append(dict(fact))
    return out


def period(family, fact, sources):
    org = Organization.objects.get(slug=fact["org"])
    country = state(fact["_code"])
    start, start_precision = precise(fact.get("start"))
    end, end_precision = precise(fact.get("end"))
    if start is None:
        raise ValidationError("no start date")
    # "new: …" marks, in the research files, a period the primary-source searches found missing.
    note = (fact.get("note") or "").removeprefix("new: ")
    # A day before the state's first day in this data set (Russia signed the CIS agreement as the RSFSR on
    # 8 December 1991; the Russian Federation is dated from 26 December) is shown to the month, never moved.
    if country.exists_from and start_precision == "day" and start < country.exists_from:
        if periods.latest_day(start, "month") >= country.exists_from:
            start_precision = "month"
            note += (
                f" The source gives {start.isoformat()}, before {country.name}'s first day as a state in this data "
                f"set ({country.exists_from.isoformat()}): the start is shown to the month."
            )
    if country.exists_to and end is not None and end_precision == "day" and end > country.exists_to:
        if periods.earliest_day(end, "month") <= country.exists_to:
            end_precision = "month"
            note += (
                f" The source gives {end.isoformat()}, after {country.name}'s last day as a state in this data set "
                f"({country.exists_to.isoformat()}): the end is shown to the month."
            )
    start = periods.latest_day(start, start_precision)
    end = periods.earliest_day(end, end_precision)
    citations = []
    if fact.get("source") and fact.get("quote"):
        citations.append((source_of(family, fact["source"], sources), fact["quote"]))
    if fact.get("end_source") and fact.get("end_quote"):
        end_source = source_of(family, fact["end_source"], sources)
        same = next((i for i, (s, _) in enumerate(citations) if s == end_source), None)
        if same is None:
            citations.append((end_source, fact["end_quote"]))
        elif fact["end_quote"] not in citations[same][1]:
            citations[same] = (end_source, f"{citations[same][1]} […] {fact['end_quote']}")
    aliases = set(country.aliases.values_list("normalized", flat=True))
    supported = all(history.quote_supports(quote, country, aliases, start, end) for _, quote in citations)
    if not supported and history.DATE_FROM_MARKER.lower() not in note.lower():
        # The researcher's note says where the date comes from (a list's heading, the report's dateline).
        if not note.strip():
            raise ValidationError(
                "the quote names neither the state nor the year, and no note says where the date is from"
            )
        note = f"{history.DATE_FROM_MARKER} {note.strip()}"
    here = Membership.objects.filter(country=country, organization=org, status=fact["status"])
    same = here.filter(start_date=start).first()
    if same is None and start_precision != "day":
        # A start this research gives to the month or year that a refinement (refinements.json) has since
        # dated more finely inside that span is the same period, not an overlapping one.
        same = here.filter(start_date__range=(periods.earliest_day(start, start_precision), start)).first()
    if same is not None:  # a better source for a period the data has: cite it there
        added = 0
        for source, quote in citations:
            if same.citations.filter(source=source).exists():
                continue
            # The research note does not travel with a second source, so its quote must stand alone.
            if not history.quote_supports(quote, country, aliases, start, end):
                refused[family].append(
                    (label(fact), f"the quote of {source.slug} names neither the state nor the year")
                )
                continue
            services.record_save(Citation(), source=source, organization=org, membership=same, quote=quote)
            added += 1
        if same.end_date != end or same.end_precision != end_precision:
            refused["changes"].append(
                (label(fact), f"the data ends it {same.end_text or 'ongoing'}; the research {fact.get('end')}")
            )
        written[org.slug]["sources added"] += added
        return
    with transaction.atomic():
        services.membership_create(
            country=country,
            organization=org,
            start_date=start,
            start_precision=start_precision,
            end_date=end,
            end_precision=end_precision,
            status=fact["status"],
            own_status=(fact.get("own_status") or "")[:60],
            founding=bool(fact.get("founding")),
            note=note.strip(),
            citations=citations,
        )
    written[org.slug][start_precision] += 1


# Sources the fixes research found labelled with a kind they are not: copies of official texts on
# third-party sites, and an archive's snapshot, are secondary.
SECONDARY_COPIES = [
    "states-fr-name-change-scg",
    "states-constitution-ru-art1",
    "states-ustavbih-art-i-1",
    "status-al-mfa-nato",
]


def apply_changes(changes, sources):
    """The fixes research's corrections of periods the data has: a new end (the GDR's Warsaw Pact seat,
    Russia's partnership, Albania's Warsaw Pact membership), each with the citation that dates it."""
    for change in changes:
        new = change.get("new") or {}
        if not change.get("old_start") or not new.get("org") or "end" not in new:
            continue
        period = Membership.objects.filter(
            country__code=new["state"], organization__slug=new["org"], start_date=change["old_start"]
        ).first()
        if period is None:
            continue
        end, end_precision = precise(new.get("end"))
        end = periods.earliest_day(end, end_precision)
        if period.end_date != end and "change end" in change["what"]:
            services.membership_update(membership=period, end_date=end, end_precision=end_precision)
            written[period.organization.slug]["ends corrected"] += 1
        for key, quote in ((new.get("end_source"), new.get("end_quote")), (new.get("source"), new.get("quote"))):
            if key and quote:
                source = source_of("fixes", key, sources)
                if not period.citations.filter(source=source).exists():
                    services.record_save(
                        Citation(), source=source, organization=period.organization, membership=period, quote=quote
                    )


def apply_quote_fixes(fixes):
    """Quotes the quote-check found too short to support their period, widened to the page's sentence that does
    (the same stored page, its text copied in order): ``{"state", "org", "start", "source", "old", "new"}``.
    Only a citation whose quote is still ``old`` is changed, so a curator's later edit is never overwritten."""
    for fix in fixes:
        for citation in Citation.objects.filter(
            membership__country__code=fix["state"],
            membership__organization__slug=fix["org"],
            membership__start_date=fix["start"],
            source__slug=fix["source"],
            quote=fix["old"],
        ):
            services.record_save(citation, quote=fix["new"])
            written[fix["org"]]["quotes widened"] += 1


def apply_refinements(refinements, sources):
    """Starts known to the month or year dated more finely (research/refinements.json): applied only where
    the finer date lies inside what the data says, and no other period of the state there ends in that span
    (moving one start would leave the other's end to guess). Run again, it finds each already applied."""
    for raw in refinements:
        country, org = state(raw["state"]), Organization.objects.get(slug=raw["org"])
        old_day, old_precision = periods.parse_shown(raw["start"])
        new_day, new_precision = periods.parse_shown(raw["to"])
        first, last = periods.earliest_day(old_day, old_precision), periods.latest_day(old_day, old_precision)
        here = Membership.objects.filter(country=country, organization=org, status=raw["status"])
        period = here.filter(start_date=periods.latest_day(new_day, new_precision), start_precision=new_precision)
        period = period.first() or here.filter(start_date=last, start_precision=old_precision).first()
        label_ = f"{raw['state']} in {raw['org']} from {raw['start']} → {raw['to']}"
        if period is None:
            refused["refinements"].append((label_, "no such period"))
            continue
        if (
            not first
            <= periods.earliest_day(new_day, new_precision)
            <= periods.latest_day(new_day, new_precision)
            <= last
        ):
            refused["refinements"].append((label_, "the finer date is not inside the data's"))
            continue
        others = Membership.objects.filter(country=country, organization=org, end_date__gte=first).exclude(pk=period.pk)
        if others.filter(end_date__lte=last).exists():
            refused["refinements"].append((label_, "another period of the state there ends in the same span"))
            continue
        aliases = set(country.aliases.values_list("normalized", flat=True))
        new_start = periods.latest_day(new_day, new_precision)
        if not history.quote_supports(raw["quote"], country, aliases, new_start, period.end_date):
            refused["refinements"].append((label_, "the quote names neither the state nor the year"))
            continue
        source = source_of(raw["family"], raw["source"], sources)
        if not period.citations.filter(source=source).exists():
            services.record_save(Citation(), source=source, organization=org, membership=period, quote=raw["quote"])
        if period.start_precision != new_precision:
            services.membership_update(
                membership=period, start_date=periods.latest_day(new_day, new_precision), start_precision=new_precision
            )
            written[org.slug]["starts dated more finely"] += 1
        REFINED.append(raw)


def correct_source_kinds():
    """Kinds the research or the fixtures gave that the rule says otherwise."""
    for slug in SECONDARY_COPIES:
        Source.objects.filter(slug=slug).exclude(kind="secondary").update(kind="secondary")
    # A government's treaty database listing the parties is an official page, not the treaty's text.
    Source.objects.filter(slug="eea-verdragen-parties", kind="treaty").update(kind="official_page")


def label(fact):
    return f"{fact.get('state')} in {fact.get('org')} ({fact.get('status')}, {fact.get('start')} – {fact.get('end')})"


RAW_SOURCES = {}
REFINED = []  # the refinements applied (now or by an earlier run), so the report no longer proposes them
ORGANIZATION_MEMBER = "org:"


def organization_period(family, fact, sources):
    """An organization that is itself a member (the EU in the G20): one OrganizationMembership and its citations."""
    member = Organization.objects.get(slug=fact["state"].removeprefix(ORGANIZATION_MEMBER))
    org = Organization.objects.get(slug=fact["org"])
    start, start_precision = precise(fact.get("start"))
    end, end_precision = precise(fact.get("end"))
    if start is None:
        raise ValidationError("no start date")
    start = periods.latest_day(start, start_precision)
    end = periods.earliest_day(end, end_precision)
    citations = []
    for key, quote in ((fact.get("source"), fact.get("quote")), (fact.get("end_source"), fact.get("end_quote"))):
        if key and quote:
            citations.append((source_of(family, key, sources), quote))
    same = OrganizationMembership.objects.filter(member=member, organization=org, start_date=start).first()
    if same is not None:  # loaded before: cite any new source there
        for source, quote in citations:
            if not same.citations.filter(source=source).exists():
                services.record_save(OrganizationMembershipCitation(), period=same, source=source, quote=quote)
        return
    with transaction.atomic():
        services.organization_membership_create(
            member=member,
            organization=org,
            start_date=start,
            start_precision=start_precision,
            end_date=end,
            end_precision=end_precision,
            status=fact["status"],
            own_status=(fact.get("own_status") or "")[:120],
            founding=bool(fact.get("founding")),
            note=(fact.get("note") or "").strip(),
            citations=citations,
        )
    written[org.slug][f"organization members ({start_precision})"] += 1


def organization_name(family, raw, sources):
    """One dated name of an organization, with the quote that names and dates it."""
    org = Organization.objects.get(slug=raw["org"])
    start, start_precision = precise(raw.get("from"))
    end, end_precision = precise(raw.get("to"))
    start = periods.latest_day(start, start_precision)
    if OrganizationName.objects.filter(organization=org, name=raw["name"], valid_from=start).exists():
        return
    services.record_save(
        OrganizationName(),
        organization=org,
        name=raw["name"],
        acronym=raw.get("acronym") or "",
        valid_from=start,
        valid_from_precision=start_precision,
        valid_to=end,
        valid_to_precision=end_precision,
        source=source_of(family, raw["source"], sources),
        quote=raw["quote"],
    )
    for alias in filter(None, (raw["name"], raw.get("acronym"))):  # an earlier name finds the organization too
        if not OrganizationAlias.objects.filter(normalized=normalize_name(alias)).exists():
            services.record_save(OrganizationAlias(organization=org), name=alias)


def organization_succession(family, raw, sources):
    """One organization following another (the OEEC replaced by the OECD), with its quote."""
    predecessor = Organization.objects.get(slug=raw["predecessor"])
    successor = Organization.objects.get(slug=raw["successor"])
    if OrganizationSuccession.objects.filter(predecessor=predecessor, successor=successor).exists():
        return
    day, precision = precise(raw["date"])
    services.record_save(
        OrganizationSuccession(),
        predecessor=predecessor,
        successor=successor,
        date=periods.latest_day(day, precision),
        date_precision=precision,
        kind=raw["kind"],
        note=raw.get("note") or "",
        source=source_of(family, raw["source"], sources),
        quote=raw["quote"],
    )


def main():
    data = {f: json.loads((ROOT / "research" / f"{f}.json").read_text(encoding="utf-8")) for f in FAMILIES}
    for family, content in data.items():
        RAW_SOURCES[family] = content.get("sources", [])
    sources = {}
    with audit.acting_as("loader:research"):
        new_states(sources, None, {f: c.get("states", []) for f, c in data.items()})
        kosovo()
        former_names()
        apply_changes(data["fixes"].get("changes", []), sources)
        with_facts = {f.get("org") for c in data.values() for f in c.get("facts", [])}
        with_facts |= {  # an organization recorded only as a member of another (the African Union)
            f["state"].removeprefix(ORGANIZATION_MEMBER)
            for c in data.values()
            for f in c.get("facts", [])
            if str(f.get("state", "")).startswith(ORGANIZATION_MEMBER)
        }
        for family, content in data.items():
            for raw in content.get("organizations", []):
                if raw.get("slug") not in with_facts and not Organization.objects.filter(slug=raw.get("slug")).exists():
                    refused[family].append((f"organization {raw.get('slug')}", "no dated membership found yet"))
                    continue
                try:
                    with transaction.atomic():
                        organization(family, raw, sources)
                except (ValidationError, KeyError, ValueError) as exc:
                    refused[family].append((f"organization {raw.get('slug')}", _reason(exc)))
        for family, content in data.items():
            facts = []
            for fact in content.get("facts", []):
                code = fact.get("state") or ""
                if code.startswith(ORGANIZATION_MEMBER):
                    try:
                        organization_period(family, fact, sources)
                    except (ValidationError, ValueError, KeyError, Organization.DoesNotExist) as exc:
                        refused[family].append((label(fact), _reason(exc)))
                    continue
                why = next((w for prefix, w in NOT_MODELLED.items() if code.startswith(prefix)), None)
                if why:
                    refused[family].append((label(fact), why))
                    continue
                if state(code) is None:
                    refused[family].append((label(fact), f"no state with the code {code}"))
                    continue
                if not Organization.objects.filter(slug=fact.get("org")).exists():
                    refused[family].append((label(fact), f"no organization {fact.get('org')}"))
                    continue
                facts.append({**fact, "_code": STATE_CODES.get(code, code)})
            for fact in merged(facts):
                try:
                    period(family, fact, sources)
                except (ValidationError, ValueError, KeyError) as exc:
                    refused[family].append((label(fact), _reason(exc)))
        for family, content in data.items():
            for raw in content.get("names", []):
                try:
                    with transaction.atomic():
                        organization_name(family, raw, sources)
                except (ValidationError, ValueError, KeyError, Organization.DoesNotExist) as exc:
                    refused[family].append((f"name {raw.get('name')} of {raw.get('org')}", _reason(exc)))
            for raw in content.get("successions", []):
                try:
                    with transaction.atomic():
                        organization_succession(family, raw, sources)
                except (ValidationError, ValueError, KeyError, Organization.DoesNotExist) as exc:
                    refused[family].append((f"{raw.get('predecessor')} → {raw.get('successor')}", _reason(exc)))
        apply_quote_fixes([fix for content in data.values() for fix in content.get("quote_fixes", [])])
        refinements = json.loads((ROOT / "research" / "refinements.json").read_text(encoding="utf-8"))
        apply_refinements(refinements["refinements"], sources)
        correct_source_kinds()
    write_report(data)


def _reason(exc):
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return f"{type(exc).__name__}: {exc}"


def write_report(data):
    lines = [
        "# Research facts not written into the data",
        "",
        "Generated by research/build.py: each fact of research/*.json that a rule refused, or that this round",
        "does not model yet, with the reason. A curator resolves them in the admin (or in the research file).",
        "",
    ]
    for family in FAMILIES:
        if not refused[family]:
            continue
        lines += [f"## {family}", ""]
        lines += [f"- {what}: {why}" for what, why in refused[family]]
        lines.append("")
    if refused["refinements"]:
        lines += ["## Refinements not applied (research/refinements.json)", ""]
        lines += [f"- {what}: {why}" for what, why in refused["refinements"]]
        lines.append("")
    if refused["changes"]:
        lines += ["## Periods the data has, with another end in the research (for a curator to decide)", ""]
        lines += [f"- {what}: {why}" for what, why in refused["changes"]]
        lines.append("")
    applied = {(r["org"], r["state"]) for r in REFINED}
    corrections = [
        (family, c)
        for family in FAMILIES
        for c in data[family].get("corrections", [])
        if not {(c.get("org"), state) for state in c.get("states") or []} <= applied
    ]
    if corrections:
        lines += ["## Corrections the research proposes (never applied here: a curator decides)", ""]
        lines += [
            f"- {c.get('org')} {', '.join(c.get('states') or [])}: the data has {c.get('data')}; "
            f"{c.get('source')} gives {c.get('primary')} ({family})"
            for family, c in corrections
        ]
        lines.append("")
    (ROOT / "research" / "REFUSED.md").write_text("\n".join(lines), encoding="utf-8")
    total = sum(len(v) for v in refused.values())
    print(f"written: {sum(sum(v.values()) for v in written.values())} periods; refused: {total}")
    for slug in sorted(written):
        print(slug, dict(written[slug]))


if __name__ == "__main__":
    main()
