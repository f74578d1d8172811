"""``manage.py members nato``: who is in an organization (on a day, or ever)."""

from alliances.management.commands._tables import MembershipTableCommand


class Command(MembershipTableCommand):
    help = "Who is in an organization: `manage.py members nato --as-of 2021-12-30`."
    subject = "Organization"
