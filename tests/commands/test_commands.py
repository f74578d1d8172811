"""The command-line views of the membership queries: `memberships` and `members`."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alliances.models import Membership, Organization

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def table_rows(output):
    """The data rows of a command's table: the lines after the dashed separator."""
    lines = output.splitlines()
    separator = next(i for i, line in enumerate(lines) if line and set(line) <= {"-", " "})
    return [line.split() for line in lines[separator + 1 :] if line.strip()]


# Romania's groups on 2021-12-30: the seed's four, the Council of Europe, the NATO–Russia Council,
# and the universal, European and regional organizations and formats recorded since.
ROMANIA_2021_12_30 = [
    "3SI", "B9", "BSEC", "C4", "CEI", "CoE", "EEA", "EU", "NATO", "NRC", "OIF", "OSCE", "RCC", "SEECP", "UN", "UfM",
    "WTO",
]  # fmt: skip


def test_memberships_of_romania_on_2021_12_30():
    output = run("memberships", "Romania", "--as-of", "2021-12-30")
    assert output.splitlines()[0] == f"Romania (RO) on 2021-12-30: {len(ROMANIA_2021_12_30)} membership(s)"
    rows = table_rows(output)
    # In the database's order of acronyms ("UN" and "UfM" sort apart by engine and collation).
    in_order = Organization.objects.filter(acronym__in=ROMANIA_2021_12_30).order_by("acronym")
    assert [row[0] for row in rows] == list(in_order.values_list("acronym", flat=True))
    assert sorted(row[0] for row in rows) == sorted(ROMANIA_2021_12_30)
    for name in (
        "Bucharest Nine",
        "Council of Europe",
        "European Union",
        "North Atlantic Treaty Organization",
        "NATO-Russia Council",
        "Organization for Security and Co-operation in Europe",
        "United Nations",
        "Central European Initiative",
    ):
        assert name in output
    header = output.splitlines()[1].split()
    assert header == ["Acronym", "Organization", "Status", "Start", "End", "Sources"]
    assert "2004-03-29" in output and "2007-01-01" in output and "2015-11-04" in output
    # A start known only to the year is printed as the year, never as a day.
    oif = next(row for row in rows if row[0] == "OIF")
    assert "1993" in oif and "1993-12-31" not in oif


@pytest.mark.parametrize("identifier", ["RO", "rou", "642", "romania"])
def test_memberships_accepts_any_identifier(identifier):
    assert run("memberships", identifier, "--as-of", "2021-12-30").startswith(
        f"Romania (RO) on 2021-12-30: {len(ROMANIA_2021_12_30)} "
    )


def test_memberships_default_is_today():
    output = run("memberships", "Romania")
    today = Membership.objects.on(TODAY).filter(country__iso2="RO", status="member").count()
    assert output.startswith(f"Romania (RO) on {TODAY.isoformat()}: {today} membership(s)")
    assert {"Schengen", "EPC"} <= {row[0] for row in table_rows(output)}


def test_memberships_uk_on_its_last_eu_day_and_after():
    assert "EU" in [row[0] for row in table_rows(run("memberships", "GB", "--as-of", "2020-01-31"))]
    assert "EU" not in [row[0] for row in table_rows(run("memberships", "GB", "--as-of", "2020-02-01"))]


def test_memberships_status_and_history():
    candidate = run("memberships", "Ukraine", "--as-of", "2023-01-01", "--status", "candidate")
    assert "1 membership(s)" in candidate and "candidate" in candidate
    assert "0 membership(s)" in run("memberships", "Ukraine", "--as-of", "2022-06-22", "--status", "candidate")
    history = run("memberships", "United Kingdom", "--history")
    assert "at any time" in history and "2020-01-31" in history
    count = Membership.objects.filter(country__iso2="GB", status="member").count()
    assert f"{count} membership(s)" in history


def test_memberships_of_a_country_in_nothing():
    output = run("memberships", "Antarctica", "--history", "--status", "all")
    assert output.splitlines()[0] == "Antarctica (AQ) at any time: 0 membership(s)"


@pytest.mark.parametrize(
    "organization, as_of, count",
    [
        ("nato", "2021-12-30", 30),
        ("NATO", "2023-04-04", 31),
        ("nato", "2024-03-07", 32),
        ("eu", "2019-06-01", 28),
        ("EU", "2020-02-01", 27),
        ("osce", "2021-12-30", 57),
        ("Bucharest Nine", "2021-12-30", 9),
        ("b9", "2015-11-03", 0),
    ],
)
def test_members_counts(organization, as_of, count):
    output = run("members", organization, "--as-of", as_of)
    assert f"on {as_of}: {count} member(s)" in output.splitlines()[0]
    assert len(table_rows(output)) == count


def test_members_of_nato_on_2021_12_30():
    output = run("members", "nato", "--as-of", "2021-12-30")
    assert output.splitlines()[0] == "North Atlantic Treaty Organization (NATO) on 2021-12-30: 30 member(s)"
    rows = table_rows(output)
    assert len(rows) == 30
    codes = {row[0] for row in rows}
    expected = set(
        Membership.objects.on(datetime.date(2021, 12, 30))
        .filter(organization__slug="nato", status="member")
        .values_list("country__iso2", flat=True)
    )
    assert codes == expected
    assert "RO" in codes and "FI" not in codes and "SE" not in codes
    assert "North Macedonia" in output


def test_members_today():
    output = run("members", "nato")
    assert output.splitlines()[0].endswith(f"on {TODAY.isoformat()}: 32 member(s)")
    assert {"FI", "SE"} <= {row[0] for row in table_rows(output)}


def test_members_status_all_and_history():
    output = run("members", "eu", "--as-of", "2023-01-01", "--status", "all")
    # 27 members, 8 candidates (AL, BA, MD, ME, MK, RS, TR, UA) and 2 applicants (Georgia until its
    # candidacy of 2023-12-14, Kosovo since its application of 2022-12-15)
    assert ": 37 member(s)" in output and "candidate" in output and "applicant" in output
    history = run("members", "eu", "--history", "--status", "all")
    assert f"at any time: {Membership.objects.filter(organization__slug='eu').count()} member(s)" in history


def test_former_states_are_printed_with_their_code():
    """Former states have no alpha-2 code: the four-letter one is shown (never an empty column)."""
    output = run("members", "warsaw-pact", "--as-of", "1960-01-01")
    codes = {row[0] for row in table_rows(output)}
    assert codes == {"AL", "BG", "CSHH", "DDDE", "HU", "PL", "RO", "SUHH"}
    ussr = run("memberships", "Soviet Union", "--history")
    assert ussr.splitlines()[0] == "USSR (SUHH) at any time: 4 membership(s)"
    assert [row[0] for row in table_rows(ussr)] == ["CMEA", "OSCE", "UN", "WP"]
    # Ends known to the month (the seat passed to Russia in December 1991) are printed as such.
    un = next(row for row in table_rows(ussr) if row[0] == "UN")
    assert "1991-12" in un and "1991-12-01" not in un


@pytest.mark.parametrize("command", ["memberships", "members"])
@pytest.mark.parametrize("bad_date", ["2021-13-45", "yesterday", "30/12/2021"])
def test_bad_date_is_a_command_error(command, bad_date):
    identifier = "Romania" if command == "memberships" else "nato"
    with pytest.raises(CommandError) as error:
        run(command, identifier, "--as-of", bad_date)
    assert str(error.value) == f"--as-of: “{bad_date}” is not a date in YYYY-MM-DD form."


def test_unknown_country_is_a_command_error_with_suggestions():
    with pytest.raises(CommandError) as error:
        run("memberships", "Romnia", "--as-of", "2021-12-30")
    message = str(error.value)
    assert message.startswith("No country matches “Romnia”.")
    assert "Did you mean: Romania (RO)" in message


def test_unknown_organization_is_a_command_error_with_suggestions():
    with pytest.raises(CommandError) as error:
        run("members", "Bucharest Nin")
    message = str(error.value)
    assert message.startswith("No organization matches “Bucharest Nin”.")
    assert "Bucharest Nine (b9)" in message


def test_unknown_name_without_suggestions():
    with pytest.raises(CommandError, match="^No organization matches “zzzz”.$"):
        run("members", "zzzz")


def test_bad_status_is_a_command_error():
    with pytest.raises(CommandError, match="Unknown status"):
        run("members", "nato", "--status", "bogus")


def test_missing_identifier_is_a_command_error():
    with pytest.raises(CommandError, match="identifier"):
        run("members")
