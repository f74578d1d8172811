"""Shared pieces of the command-line views of the membership queries."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from alliances import selectors
from alliances.api.serializers import MembershipOutputSerializer
from alliances.choices import STATUS_HELP, UnknownStatus, statuses_for, statuses_included
from alliances.platform.renderers import columns_of, stream_csv


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
        as_of = datetime.date.fromisoformat(options["as_of"]) if options["as_of"] else datetime.date.today()
    except ValueError as exc:
        raise CommandError(f"--as-of: “{options['as_of']}” is not a date in YYYY-MM-DD form.") from exc
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
        membership.start_date.isoformat(),
        membership.end_date.isoformat() if membership.end_date else "",
        len(selectors.cited(membership)),
    ]


class MembershipTableCommand(BaseCommand):
    """A command that resolves one identifier and prints its membership periods as a table."""

    subject = ""  # "Country" or "Organization"

    def add_arguments(self, parser):
        add_query_arguments(parser, self.subject)

    def handle(self, *args, **options):
        as_of, statuses = parse_query(options)
        record, memberships, noun, headers, row = self.query(options["identifier"], as_of, statuses)
        if options["format"] == "csv":
            serializer = MembershipOutputSerializer()
            for line in stream_csv(columns_of(serializer), memberships, serializer.to_representation):
                self.stdout.write(line, ending="")
            return
        if options["format"] == "json":
            document = {
                self.subject.lower(): {"name": record.name, "code": self.code(record)},
                "as_of": as_of.isoformat() if as_of else None,
                "statuses": statuses_included(statuses),
                "count": len(memberships),
                "results": MembershipOutputSerializer(memberships, many=True).data,
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=1))
            return
        when = f"on {as_of.isoformat()}" if as_of else "at any time"
        self.stdout.write(f"{record.name} ({self.code(record)}) {when}: {len(memberships)} {noun}\n")
        self.stdout.write(render_table([*headers, "Status", "Start", "End", "Sources"], [row(m) for m in memberships]))
