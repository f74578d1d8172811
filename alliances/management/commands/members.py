from alliances import selectors
from alliances.management.commands._tables import MembershipTableCommand, period_cells, resolve


class Command(MembershipTableCommand):
    help = "Who is in an organization: `manage.py members nato --as-of 2021-12-30`."
    subject = "Organization"

    def code(self, organization):
        return organization.acronym

    def query(self, identifier, as_of, statuses):
        organization = resolve(selectors.organization_resolve, identifier)
        memberships = list(selectors.organization_members(organization, as_of=as_of, statuses=statuses))
        return (
            organization,
            memberships,
            "member(s)",
            ["Code", "Country"],
            lambda m: [m.country.code, m.country.name, *period_cells(m)],
        )
