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
    help = "Which groups is a country in: `manage.py memberships Romania --as-of 2021-12-30`."

    def add_arguments(self, parser):
        add_query_arguments(parser, "Country")

    def handle(self, *args, **options):
        as_of, statuses = parse_query(options)
        country = resolve(selectors.country_resolve, options["identifier"])
        memberships = list(selectors.country_memberships(country, as_of=as_of, statuses=statuses))
        when = f"on {as_of.isoformat()}" if as_of else "at any time"
        self.stdout.write(f"{country.name} ({country.iso2}) {when}: {len(memberships)} membership(s)\n")
        rows = [[m.organization.acronym, m.organization.name, *period_cells(m)] for m in memberships]
        headers = ["Acronym", "Organization", "Status", "Start", "End", "Sources"]
        self.stdout.write(render_table(headers, rows))
