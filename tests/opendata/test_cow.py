"""The COW-layout panel against the real COW IGO v3 state-year file (tests/data/cow/, from the igoR package).

The file must be there: without it these tests fail, they do not skip.
"""

import gzip
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pandas
import pytest
import rdata
from django.core.management import call_command

from alliances.models import Organization
from alliances.opendata import cow

pytestmark = pytest.mark.django_db

RDA = Path(__file__).resolve().parent.parent / "data" / "cow" / "state_year_format3.rda"


@pytest.fixture(scope="module")
def cow_file():
    """COW IGO v3 state-year, 1945-2014: {(ccode, year): row}, read from the igoR package's .rda."""
    frame = rdata.read_rda(str(RDA))["state_year_format3"]
    frame = frame[frame["year"] >= cow.FIRST_YEAR]
    rows = {}
    for record in frame.to_dict("records"):
        rows[(int(record["ccode"]), int(record["year"]))] = record
    return rows


@pytest.fixture
def panel():
    return cow.Panel()


@pytest.fixture(scope="module")
def exported(tmp_path_factory, django_db_setup, django_db_blocker):
    """One export of the loaded fixtures for the tests that only read it."""
    directory = tmp_path_factory.mktemp("cow")
    with django_db_blocker.unblock():
        call_command("export_dataset", str(directory), verbosity=0)
    return directory


def read_csv(path):
    # The documented way: only an empty cell is missing, so Namibia's code NA stays a code.
    return pandas.read_csv(path, keep_default_na=False, na_values=[""])


def test_the_committed_extract_is_the_cow_file(cow_file):
    """alliances/opendata/data/cow/cow_igo_v3.csv.gz, which the service reads, holds COW's codes unchanged."""
    cells, columns = cow.read_cow()
    assert set(cells) == set(cow_file)
    assert {"nato", "coe", "csto", "wpact", "eec", "eu", "un", "osce"} <= set(columns)
    for key, codes in cells.items():
        assert codes == {c: int(cow_file[key][c]) for c in columns}, key


def test_every_cow_abbreviation_is_a_cow_column(cow_file):
    columns = set(next(iter(cow_file.values())))
    named = {o.slug: o.cow_igo.lower() for o in Organization.objects.exclude(cow_igo="")}
    assert {"coe": "coe", "csto": "csto", "warsaw-pact": "wpact", "eu": "eu", "nato": "nato"}.items() <= named.items()
    assert set(named.values()) <= columns


def test_panel_agrees_with_cow_except_the_documented_differences(cow_file, panel):
    """Every shared state-year cell agrees with the COW file, or is in the differences table under a rule."""
    documented = set()
    differences = cow.compare(panel)
    for d in differences:
        documented |= {(d.ccode, year, d.column) for year in range(d.first_year, d.last_year + 1)}
    shared = differing = 0
    cow_columns = set(next(iter(cow_file.values())))
    for ccode, year, _ in panel.state_years():
        if year > cow.COW_LAST_YEAR:
            continue
        assert (ccode, year) in cow_file, (ccode, year)  # every panel row of 1945-2014 is a COW row
        for column in panel.columns:
            if column[0] not in cow_columns:
                continue
            shared += 1
            ours = panel.cell(ccode, year, column)[0]
            theirs = int(cow_file[(ccode, year)][column[0]])
            if ours != theirs:
                differing += 1
                assert (ccode, year, column[0]) in documented, (ccode, year, column[0], theirs, ours)
    assert differing == len(documented)  # the table lists nothing that agrees
    assert shared > 300_000 and differing / shared < 0.05
    # The rows only COW has are states the system lists for part of that year only, and said so.
    only_cow, only_ours = cow.row_differences(panel)
    assert only_ours == [] and (652, 1958) in only_cow and len(only_cow) < 10
    assert set(Counter(d.kind for d in differences)) <= set(cow.CLASSES)


def test_year_aware_state_codes(panel):
    rows = {(r[0], r[1]): r for r in panel.rows()}
    assert Counter(key for key in rows).most_common(1)[0][1] == 1  # one row per ccode and year
    code = {key: row[5] for key, row in rows.items()}
    assert code[(260, 1955)] == code[(260, 1989)] == "DE" and (260, 1990) not in rows
    assert code[(255, 1990)] == "DE" and (255, 1989) not in rows and (255, 1950) not in rows
    assert not any(c == "DE" for (ccode, year), c in code.items() if year < 1955)  # not in COW's system yet
    assert code[(265, 1989)] == "DDDE" and (265, 1990) not in rows
    assert code[(365, 1990)] == "SUHH" and code[(365, 1991)] == "RU"
    assert code[(345, 1990)] == "YUCS" and code[(345, 2005)] == "CSXX" and code[(345, 2010)] == "RS"
    assert code[(678, 1989)] == code[(679, 1990)] == "YE"
    # Gleditsch-Ward and ISO3 beside the COW code.
    assert rows[(260, 1970)][3:5] == ["DEU", 260] and rows[(565, 2000)][3] == "NAM"
    assert rows[(345, 2004)][3:5] == ["SCG", 345] and rows[(345, 2010)][3:5] == ["SRB", 340]
    assert rows[(679, 2000)][4] == 678 and rows[(331, 2000)][4] is None  # San Marino: no G-W number
    # States COW does not list have no row (Puerto Rico, Palestine).
    assert not {"PR", "PS"} & set(code.values())


def test_codes_follow_cow(panel):
    columns = {c[0]: c for c in panel.columns}

    def cell(ccode, year, column):
        return panel.cell(ccode, year, columns[column])[0]

    assert cell(360, 2003, "nato") == 0 and cell(360, 2004, "nato") == 1
    assert cell(345, 2010, "un") == 1  # Serbia, 345, in the UN: not a Yugoslavia row coded -1
    assert cell(360, 1950, "nato") == 0 and cell(360, 1948, "nato") == -1  # before NATO: not in existence
    assert cell(365, 1991, "wpact") == 1 and cell(365, 1992, "wpact") == -1  # dissolved 1991-07-01
    assert cell(345, 1995, "osce") == 0  # suspended 1992-2000: 0, as COW codes it
    assert cell(220, 1960, "eec") == 1 and cell(220, 1960, "eu") == -1  # COW's split of the EU
    assert cell(220, 1993, "eec") == -1 and cell(220, 1993, "eu") == 1
    assert cell(200, 2019, "eu") == 1 and cell(200, 2020, "eu") == 0  # left 31 January 2020
    assert cell(369, 2022, "eu") == 0  # a candidate is not a member


def test_exported_panel_reads_in_pandas(exported):
    panel = read_csv(exported / "cow_igo_panel.csv")
    assert list(panel.columns[:7]) == cow.ID_COLUMNS
    assert not panel.duplicated(["ccode", "year"]).any()
    namibia = panel[(panel.ccode == 565) & (panel.year == 2000)].iloc[0]
    assert (namibia.code, namibia.iso3, namibia.un) == ("NA", "NAM", 1)
    # -9 (missing) only where none of our states holds the COW code: South Vietnam.
    assert set(panel[panel.code.isna()].ccode) == {817} and set(panel[panel.ccode == 817].un) == {-9}
    assert set(panel[panel.ccode != 817]["wpact"]) == {-1, 0, 1}
    assert {"coe", "csto", "eec", "eu", "wpact", "our_nrc", "three_seas"} <= set(panel.columns)
    countries = read_csv(exported / "countries.csv")
    assert "NA" in set(countries.code)
    descriptor = json.loads((exported / "datapackage.json").read_text())
    resources = {r["name"]: r for r in descriptor["resources"]}
    assert resources["cow_igo_panel"]["schema"]["primaryKey"] == ["ccode", "year"]
    assert resources["cow_igo_panel"]["schema"]["missingValues"] == [""]
    assert "suspended 0" in resources["cow_igo_panel"]["description"]  # the package says how statuses map
    assert "cow_igo_dyadic" not in resources  # off in the test settings


def test_exported_differences_table(exported, panel):
    table = read_csv(exported / "cow_igo_differences.csv")
    assert set(table["class"]) <= set(cow.CLASSES)
    assert len(table) == len(cow.compare(panel)) + len(cow.row_differences(panel)[0])
    # COW: Slovakia a CBSS observer from 2009; the data set has no such period (no stored page dates it).
    slovakia = table[(table.code == "SK") & (table.column == "cbss")]
    assert {(2009, 2014, 3, 0, "product_lacks")} <= set(
        slovakia[["first_year", "last_year", "cow", "panel", "class"]].itertuples(index=False, name=None)
    )
    # Romania's CBSS observer status from 2009, a gap here once, is dated now: no longer a difference.
    assert table[(table.code == "RO") & (table.column == "cbss")].empty


def test_dyadic_table_in_a_release(tmp_path, settings, panel, client):
    settings.DATASET_DYADIC = True
    settings.RELEASES_DIR = tmp_path
    call_command("make_release", stdout=io.StringIO(), stderr=io.StringIO())
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    descriptor = json.loads((folder / "datapackage.json").read_text())
    (resource,) = [r for r in descriptor["resources"] if r["name"] == "cow_igo_dyadic"]
    assert resource["path"] == "cow_igo_dyadic.csv.gz" and resource["compression"] == "gz"
    download = client.get(f"/downloads/{folder.name}/cow_igo_dyadic.csv.gz")
    assert download.status_code == 200 and download["Content-Type"] == "application/gzip"
    assert f'filename="alliances-cow_igo_dyadic-{folder.name}.csv.gz"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == (folder / "cow_igo_dyadic.csv.gz").read_bytes()
    per_year = Counter(year for _, year, _ in panel.state_years())
    with gzip.open(folder / "cow_igo_dyadic.csv.gz", "rt", encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
        assert header[:5] == cow.DYAD_ID_COLUMNS and header[5:] == [c[0] for c in panel.columns]
        wanted = {(2, 20, 1950), (2, 365, 1960), (290, 360, 2004), (260, 265, 1985)}
        found, counts = {}, defaultdict(int)
        for line in handle:
            ccode1, ccode2, year, *rest = line.rstrip("\n").split(",")
            counts[int(year)] += 1
            key = (int(ccode1), int(ccode2), int(year))
            assert key[0] < key[1]
            if key in wanted:
                found[key] = dict(zip(header[3:], rest, strict=True))
    assert counts == {year: n * (n - 1) // 2 for year, n in per_year.items()}
    assert found[(2, 20, 1950)]["nato"] == "1" and found[(2, 365, 1960)]["nato"] == "0"
    assert found[(2, 365, 1960)]["un"] == "1" and found[(2, 365, 1960)]["eu"] == "-1"
    assert found[(290, 360, 2004)]["nato"] == "1" and found[(290, 360, 2004)]["eu"] == "0"  # Romania: 2007
    assert found[(260, 265, 1985)]["wpact"] == "0" and found[(260, 265, 1985)]["osce"] == "1"


def test_gaps_command_shows_a_real_difference_not_an_agreement():
    out = io.StringIO()
    call_command("crosscheck_gaps", "--country", "SK", stdout=out)
    lacks = out.getvalue().split("COW names, the data set lacks:")[1].split("COW codes otherwise:")[0]
    # COW: Slovakia a CBSS observer from 2009; the data set has no such period.
    assert "cbss (cbss) 2009–2014: COW 3, here 0" in lacks
    out = io.StringIO()
    call_command("crosscheck_gaps", "--country", "RO", stdout=out)
    text = out.getvalue()
    # Romania a CBSS observer from 2009 in COW and, from 2009-06-04, in the data set: they agree.
    assert "cbss" not in text
    # Romania in GATT from 1971 (known to the year): COW and the data set agree on every year.
    assert "gatt (gatt) 1971" not in text
    # NATO from 2004 and the EU from 2007: COW and the data set agree.
    assert " nato " not in text and "(eu)" not in text
    assert "osce (osce) 1973–1974: COW 1, here -1 [organization_dates]" in text  # COW dates the CSCE from 1973
    with pytest.raises(Exception, match="No country"):
        call_command("crosscheck_gaps", "--country", "Atlantis", stdout=io.StringIO())


def test_gaps_report_in_the_admin(admin_client, client, django_user_model):
    index = admin_client.get("/admin/")
    assert b'href="/admin/crosscheck/cow/"' in index.content
    page = admin_client.get("/admin/crosscheck/cow/?country=SK")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Slovakia" in text and "product_lacks" in text and "Germany" not in text
    assert "<td>cbss</td><td>cbss</td><td>2009–2014</td>" in text  # COW names it, the data set lacks it
    text = admin_client.get("/admin/crosscheck/cow/?country=RO").content.decode()
    assert "Romania" in text and "<td>nato</td>" not in text  # NATO from 2004: COW and the data set agree
    assert admin_client.get("/admin/crosscheck/cow/?class=nonsense").status_code == 400
    assert admin_client.get("/admin/crosscheck/cow/?country=ZZ").status_code == 404
    # Staff only: anonymous visitors and signed-in non-staff users are sent to the login.
    assert client.get("/admin/crosscheck/cow/").status_code == 302
    user = django_user_model.objects.create_user("reader", password="x")
    client.force_login(user)
    assert client.get("/admin/crosscheck/cow/").status_code == 302
