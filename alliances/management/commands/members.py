from django.core.management.base import BaseCommand

from alliances import selectors
from alliances.management.commands._tables import (
    add_query_arguments,
    parse_query,
    period_cells,
    render_table,
    resolve,
)


class Command(BaseCommand):
    help = "Who is in an organization: `manage.py members nato --as-of 2021-12-30`."

    def add_arguments(self, parser):
        add_query_arguments(parser, "Organization")

    def handle(self, *args, **options):
        as_of, statuses = parse_query(options)
        organization = resolve(selectors.organization_resolve, options["identifier"])
        memberships = list(selectors.organization_members(organization, as_of=as_of, statuses=statuses))
        when = f"on {as_of.isoformat()}" if as_of else "at any time"
        self.stdout.write(f"{organization.name} ({organization.acronym}) {when}: {len(memberships)} member(s)\n")
        rows = [[m.country.iso2, m.country.name, *period_cells(m)] for m in memberships]
        headers = ["Code", "Country", "Status", "Start", "End", "Sources"]
        self.stdout.write(render_table(headers, rows))
