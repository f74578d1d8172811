"""Print the query plans (EXPLAIN ANALYZE) of the hot read queries."""

import datetime

from django.core.management.base import BaseCommand

from alliances import selectors
from alliances.models import Membership


class Command(BaseCommand):
    help = "EXPLAIN ANALYZE the queries behind the benchmarked endpoints."

    def handle(self, *args, **options):
        day = datetime.date(2021, 12, 30)
        today = datetime.date.today()
        romania = selectors.country_resolve("RO")
        nato, eu, osce = (selectors.organization_resolve(s) for s in ("nato", "eu", "osce"))
        queries = {
            "countries/RO/memberships/?as_of=2021-12-30": selectors.country_memberships(romania, as_of=day),
            "organizations/nato/members/": selectors.organization_members(nato, as_of=today),
            "countries/?member_of=nato&member_of=eu (page)": selectors.country_list(member_of=[nato, eu])[:50],
            "memberships/?organization=osce (page with total)": selectors.membership_list(
                organization=osce, statuses=None
            ).order_by("organization__acronym", "start_date", "country__name")[:50],
            "periods in the database": Membership.objects.all(),
        }
        for label, queryset in queries.items():
            self.stdout.write(f"--- {label}")
            if label == "periods in the database":
                self.stdout.write(f"{queryset.count():,}\n")
                continue
            self.stdout.write(queryset.explain(analyze=True) + "\n")
