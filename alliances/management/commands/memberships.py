from alliances import selectors
from alliances.management.commands._tables import MembershipTableCommand, period_cells, resolve


class Command(MembershipTableCommand):
    help = "Which groups is a country in: `manage.py memberships Romania --as-of 2021-12-30`."
    subject = "Country"

    def code(self, country):
        return country.code

    def query(self, identifier, as_of, statuses):
        country = resolve(selectors.country_resolve, identifier)
        memberships = list(selectors.country_memberships(country, as_of=as_of, statuses=statuses))
        return (
            country,
            memberships,
            "membership(s)",
            ["Acronym", "Organization"],
            lambda m: [m.organization.acronym, m.organization.name, *period_cells(m)],
        )
