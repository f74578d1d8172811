"""``manage.py memberships Romania``: which groups a country is in (on a day, or ever)."""

from alliances.management.commands._tables import MembershipTableCommand


class Command(MembershipTableCommand):
    help = "Which groups is a country in: `manage.py memberships Romania --as-of 2021-12-30`."
    subject = "Country"
