"""The organization page shows its own life: former names, predecessors and successors, member organizations,
what it itself belongs to, and the states that only possibly belong on the day (real fixtures)."""

import re

import pytest

from alliances.models import Membership
from alliances.rules import periods

pytestmark = pytest.mark.django_db


def text(response):
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def section(response, heading_id):
    match = re.search(rf'id="{heading_id}".*?(?=<h[23]|</section>)', response.content.decode(), re.S)
    assert match, heading_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(0)))


def test_the_g20_page_lists_the_eu_and_the_au_as_organizations(client):
    response = client.get("/organizations/g20/?as_of=2024-01-01")
    listed = section(response, "member-organizations")
    assert "African Union (organization) since 2023-09-09" in listed
    assert "European Union (organization) since 1999-09" in listed
    # The states' count is about states.
    count = Membership.objects.filter(organization__slug="g20", status="member").on(
        periods.parse_shown("2024-01-01")[0]
    )
    assert f"({count.count()})" in section(response, "members-h")


def test_the_eu_page_says_what_the_eu_itself_is_a_member_of(client):
    own = section(client.get("/organizations/eu/"), "own-h")
    for name in ("Group of Twenty (G20)", "World Trade Organization (WTO)", "Council of the Baltic Sea States (CBSS)"):
        assert name in own
    assert "The EU itself is a member of" in text(client.get("/organizations/eu/"))
    # Not on 1 January 1990: only the G7 then.
    own = section(client.get("/organizations/eu/?as_of=1990-01-01"), "own-h")
    assert "G7" in own and "G20" not in own


def test_former_names_and_successions_are_shown_with_their_quotes(client):
    osce = text(client.get("/organizations/osce/"))
    assert (
        "Known as the Conference on Security and Co-operation in Europe (CSCE) from 1975-08-01 until 1994-12-31" in osce
    )
    assert "effective 1 January 1995" in osce  # the quote that dates it
    assert "Successor of the OEEC (1961-09-30, replacing it)" in text(client.get("/organizations/oecd/"))
    assert "Replaced by the OECD (1961-09-30)" in text(client.get("/organizations/oeec/"))
    assert "Its functions transferred to the EU (2011-07-01)" in text(client.get("/organizations/weu/"))
    assert "Successor of the WEU (2011-07-01, its functions transferred)" in text(client.get("/organizations/eu/"))
    nato = text(client.get("/organizations/nato/"))
    assert "Known as" not in nato and "Successor of" not in nato and "itself is a member" not in nato


def test_states_that_only_possibly_belong_are_listed_apart(client):
    period = (
        Membership.objects.filter(start_precision="year", status="member")
        .exclude(start_date__month=1, start_date__day=1)
        .select_related("country", "organization")
        .order_by("start_date", "pk")
        .first()
    )
    day = periods.earliest_day(period.start_date, "year")
    response = client.get(f"/organizations/{period.organization.slug}/?as_of={day.isoformat()}")
    possible = section(response, "possible-members")
    assert f"{period.country.name} (member: joined in {period.start_date.year}, month and day unknown)" in possible
    members = re.search(
        r'id="members-h".*?(?=id="possible-members"|id="member-organizations")', response.content.decode(), re.S
    )
    assert f">{period.country.name}</a>" not in members.group(0)
    # On the stored (certain) day it is a member, and no longer "possible".
    response = client.get(f"/organizations/{period.organization.slug}/?as_of={period.start_date.isoformat()}")
    assert period.country.name not in (
        section(response, "possible-members") if "possible-members" in response.content.decode() else ""
    )
