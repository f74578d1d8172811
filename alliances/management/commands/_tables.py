"""Shared pieces of the command-line views of the membership queries."""

import json

from django.core.management.base import BaseCommand, CommandError

from alliances import selectors
from alliances.api.serializers import MembershipOutputSerializer
from alliances.choices import STATUS_HELP, UnknownStatus, statuses_for, statuses_included
from alliances.platform.renderers import columns_of, stream_csv
from alliances.rules import periods


def add_query_arguments(parser, what):
    parser.add_argument("identifier", help=f"{what}: code, name or alias.")
    parser.add_argument("--as-of", help="Day to answer for, YYYY-MM-DD (default today).")
    parser.add_argument("--status", default="member", help=STATUS_HELP + " Default member.")
    parser.add_argument("--history", action="store_true", help="Every period, whatever its dates.")
    parser.add_argument(
        "--format",
        default="table",
        choices=["table", "csv", "json"],
        help="table (default, for reading), or csv / json: the rows and fields of the API's answer.",
    )


def parse_query(options):
    try:
        as_of = periods.day_or_today(periods.parse_day(options["as_of"]) if options["as_of"] else None)
    except periods.NotADay as exc:
        raise CommandError(f"--as-of: {exc}") from exc
    try:
        statuses = statuses_for([options["status"]])
    except UnknownStatus as exc:
        raise CommandError(f"--status: {exc}") from exc
    return (None if options["history"] else as_of), statuses


def resolve(resolver, identifier):
    try:
        return resolver(identifier)
    except selectors.NotFound as exc:
        raise CommandError(exc.with_hint()) from exc


def render_table(headers, rows):
    widths = [max(len(str(v)) for v in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(headers, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=False)).rstrip() for row in rows]
    return "\n".join(lines)


def period_cells(membership):
    return [
        membership.status,
        membership.start_text,
        membership.end_text or "",
        len(selectors.cited(membership)),
    ]


# What a record is shown by in a table and in the JSON header.
CODE_FIELD = {"country": "code", "organization": "acronym"}
COLUMNS = {"country": ["Code", "Country"], "organization": ["Acronym", "Organization"]}

# Per subject (what the identifier names): its resolver, the selector of its periods,
# the word for them, and the other side of a period, which each row names.
SUBJECTS = {
    "Country": (selectors.country_resolve, selectors.country_memberships, "membership(s)", "organization"),
    "Organization": (selectors.organization_resolve, selectors.organization_members, "member(s)", "country"),
}


class MembershipTableCommand(BaseCommand):
    """A command that resolves one identifier and prints its membership periods as a table.

    A command declares only its ``help`` and its ``subject`` (a key of ``SUBJECTS``).
    """

    subject = ""  # "Country" or "Organization"

    def add_arguments(self, parser):
        add_query_arguments(parser, self.subject)

    def handle(self, *args, **options):
        as_of, statuses = parse_query(options)
        resolver, listing, noun, other = SUBJECTS[self.subject]
        record = resolve(resolver, options["identifier"])
        memberships = list(listing(record, as_of=as_of, statuses=statuses))
        if options["format"] == "csv":
            serializer = MembershipOutputSerializer()
            for line in stream_csv(columns_of(serializer), memberships, serializer.to_representation):
                self.stdout.write(line, ending="")
            return
        code = getattr(record, CODE_FIELD[self.subject.lower()])
        if options["format"] == "json":
            document = {
                self.subject.lower(): {"name": record.name, "code": code},
                "as_of": as_of.isoformat() if as_of else None,
                "statuses": statuses_included(statuses),
                "count": len(memberships),
                "results": MembershipOutputSerializer(memberships, many=True).data,
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=1))
            return
        when = f"on {as_of.isoformat()}" if as_of else "at any time"
        self.stdout.write(f"{record.name} ({code}) {when}: {len(memberships)} {noun}\n")
        rows = [
            [getattr(getattr(m, other), CODE_FIELD[other]), getattr(m, other).name, *period_cells(m)]
            for m in memberships
        ]
        self.stdout.write(render_table([*COLUMNS[other], "Status", "Start", "End", "Sources"], rows))
