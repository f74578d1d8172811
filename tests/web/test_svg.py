"""The pure drawing functions and the count series, without the database."""

import datetime
import xml.etree.ElementTree as ET

import pytest

from alliances.rules.periods import count_series
from alliances.web import svg

D = datetime.date.fromisoformat
NS = "{http://www.w3.org/2000/svg}"
TODAY = D("2026-01-01")


def test_every_status_colour_reaches_4_5_to_1_against_white():
    for status, (colour, _) in svg.STATUS_STYLE.items():
        assert svg.contrast_ratio(colour, "#ffffff") >= 4.5, status
    assert svg.contrast_ratio(svg.TEXT, "#ffffff") >= 4.5


def test_every_status_but_member_has_its_own_pattern():
    patterns = [pattern for status, (_, pattern) in svg.STATUS_STYLE.items() if status != "member"]
    assert None not in patterns and len(set(patterns)) == len(patterns)


def test_count_series_counts_each_status_from_each_change_day():
    periods = [
        (D("2000-01-01"), None, "member"),
        (D("2000-01-01"), D("2004-12-31"), "candidate"),
        (D("2005-01-01"), None, "member"),  # the candidate becomes a member: one change, not two
        (D("2010-06-01"), D("2011-05-31"), "observer"),
    ]
    assert count_series(periods) == [
        (D("2000-01-01"), {"member": 1, "candidate": 1}),
        (D("2005-01-01"), {"member": 2}),
        (D("2010-06-01"), {"member": 2, "observer": 1}),
        (D("2011-06-01"), {"member": 2}),
    ]
    assert count_series([]) == []


def test_timeline_has_one_bar_per_period_a_title_a_desc_and_a_legend():
    bars = [
        svg.Bar("NATO", "partner", D("1994-01-26"), D("2004-03-28"), "NATO: partner"),
        svg.Bar("NATO", "member", D("2004-03-29"), None, "NATO: member", href="/organizations/nato/"),
        svg.Bar("EU", "candidate", D("2000-01-01"), D("2006-12-31"), "EU <candidate> & more"),
    ]
    markup = svg.timeline(bars, title="T & co", desc="D", today=TODAY, labels={"member": "Member"})
    root = ET.fromstring(markup)  # well-formed, every text escaped
    assert root.get("viewBox").startswith("0 0 560 ")
    assert root.find(f"{NS}title").text == "T & co" and root.find(f"{NS}desc").text == "D"
    periods = root.findall(f".//{NS}rect[@class='period']")
    assert [p.get("data-status") for p in periods] == ["partner", "member", "candidate"]
    assert periods[2].find(f"{NS}title").text == "EU <candidate> & more"
    assert {t.text for t in root.iter(f"{NS}text")} >= {"NATO", "EU", "Member", "Partner", "Candidate", "2020"}
    assert {p.get("id") for p in root.iter(f"{NS}pattern")} == {"tl-partner", "tl-candidate"}
    # An ongoing period runs to today's position; an earlier period sits left of a later one.
    assert float(periods[0].get("x")) < float(periods[1].get("x"))


def test_step_chart_has_one_rect_per_step_and_status_and_axis_labels():
    series = [(D("1949-04-04"), {"member": 12}), (D("1952-02-18"), {"member": 14, "partner": 2})]
    root = ET.fromstring(svg.step_chart(series, title="t", desc="d", today=TODAY, labels={}))
    steps = root.findall(f".//{NS}rect[@class='step']")
    assert [(s.get("data-status"), s.find(f"{NS}title").text) for s in steps] == [
        ("member", "member: 12 from 1949-04-04"),
        ("member", "member: 14 from 1952-02-18"),
        ("partner", "partner: 2 from 1952-02-18"),
    ]
    texts = {t.text for t in root.iter(f"{NS}text")}
    assert {"States", "Year", "0", "1960"} <= texts
    # Stacked: the partners sit on top of the members of the same step.
    member, partner = steps[1], steps[2]
    assert float(partner.get("y")) + float(partner.get("height")) == pytest.approx(float(member.get("y")))


DEJAVU = "/usr/share/fonts/truetype/dejavu/"


@pytest.mark.parametrize("bold", [False, True])
def test_estimated_text_widths_are_never_below_the_fallback_fonts(bold):
    """The layout's estimate covers DejaVu Sans, the wide face Linux browsers and the PNG renderer fall back to."""
    font_module = pytest.importorskip("PIL.ImageFont")
    path = DEJAVU + ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        font = font_module.truetype(path, 140)
    except OSError:
        pytest.skip(f"{path} is not installed (fonts-dejavu-core)")
    samples = ["Weimar Triangle", "NATO", "CoE", "Schengen", "WWWMMM", "iiiill", "2020", "Suspended", "Türkiye",
               "Bosnia and Herzegovina", "16 members on 1990-01-01", "Data version 5452.ec43b96fd0c35030"]  # fmt: skip
    for text in samples:
        assert svg.text_width(text, 140, bold) >= font.getlength(text), text


def test_wrap_keeps_every_line_within_the_width_and_cuts_a_long_url():
    lines = svg.wrap(
        "Source: alliances, https://example.org/organizations/a-very-long-slug-indeed/ (CC-BY-4.0)", 12, 160
    )
    assert all(svg.text_width(line, 12) <= 160 for line in lines)
    assert (
        "".join(lines).replace(" ", "")
        == "Source:alliances,https://example.org/organizations/a-very-long-slug-indeed/(CC-BY-4.0)"
    )


def _rows(root):
    labels = {t.text: float(t.get("y")) for t in root.iter(f"{NS}text") if t.get("class") == "row-label"}
    return labels


def test_the_narrow_timeline_puts_each_label_above_its_bar_and_the_wide_one_left_of_it():
    bars = [
        svg.Bar("Weimar Triangle", "member", D("1991-08-29"), None, "W"),
        svg.Bar("NATO", "partner", D("1994-01-26"), D("2004-03-28"), "N"),
    ]
    args = {"title": "t", "desc": "d", "today": TODAY, "labels": {}}
    narrow = ET.fromstring(svg.timeline(bars, width=360, compact=True, **args))
    wide = ET.fromstring(svg.timeline(bars, width=720, **args))
    assert narrow.get("data-layout") == "narrow" and wide.get("data-layout") == "wide"
    for root, compact in ((narrow, True), (wide, False)):
        labels = _rows(root)
        periods = root.findall(f".//{NS}rect[@class='period']")
        for bar, rect in zip(bars, periods, strict=True):
            if compact:  # the label's baseline is above the bar's top
                assert labels[bar.row] <= float(rect.get("y"))
            else:  # the bar starts right of the longest label
                assert float(rect.get("x")) >= svg.text_width("Weimar Triangle", 14, bold=True)


def test_many_rows_get_their_years_above_as_well_as_below():
    bars = [svg.Bar(f"G{i}", "member", D("1990-01-01"), None, "x") for i in range(13)]
    root = ET.fromstring(svg.timeline(bars, title="t", desc="d", today=TODAY, labels={}))
    years = [t for t in root.iter(f"{NS}text") if t.get("class") == "tick" and t.text == "2000"]
    assert len(years) == 2
    few = ET.fromstring(svg.timeline(bars[:12], title="t", desc="d", today=TODAY, labels={}))
    assert len([t for t in few.iter(f"{NS}text") if t.get("class") == "tick" and t.text == "2000"]) == 1


def test_the_step_charts_margins_keep_the_axis_title_clear_of_the_tick_labels():
    series = [(D("1949-04-04"), {"member": 1200})]  # four-digit ticks need a wider margin
    root = ET.fromstring(svg.step_chart(series, title="t", desc="d", today=TODAY, labels={}, width=360))
    title = next(t for t in root.iter(f"{NS}text") if t.text == "States")
    ticks = [t for t in root.iter(f"{NS}text") if t.get("class") == "tick" and t.get("text-anchor") == "end"]
    # The rotated title reaches about 0.25 em right of its x; each tick label ends at its x.
    widest = max(svg.text_width(t.text, 14) for t in ticks)
    assert float(title.get("x")) + 0.3 * 14 < min(float(t.get("x")) - widest for t in ticks)
    assert float(title.get("x")) - 0.8 * 14 >= 0
