#!/usr/bin/env python3
"""Cut COW IGO v3's codes for the organizations the data set covers out of the COW file.

    .venv/bin/python scripts/cow_igo_extract.py     # rewrites alliances/opendata/data/cow/cow_igo_v3.csv.gz and
                                                    # cow_igo_v3_abbreviations.txt

Reads ``tests/data/cow/state_year_format3.rda`` (COW IGO v3 state-year, as the igoR
package holds it; see tests/data/cow/README.md) with ``rdata`` (requirements-dev.txt) and
writes ``ccode``, ``year``, ``state`` and one column per COW abbreviation named in
``fixtures/03_organizations.json`` (plus ``eec``, which COW splits from the EU), for 1945 to
2014, as integers. The service reads that small gzipped CSV (the gaps report, the differences table)
and needs no R reader; ``tests/opendata/test_cow.py`` checks it against the .rda.
"""

import csv
import gzip
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RDA = ROOT / "tests" / "data" / "cow" / "state_year_format3.rda"
OUT = ROOT / "alliances" / "opendata" / "data" / "cow" / "cow_igo_v3.csv.gz"
# Every COW abbreviation, so that a column of ours never takes the name of another COW organization.
NAMES = ROOT / "alliances" / "data" / "cow" / "cow_igo_v3_abbreviations.txt"
FIRST_YEAR = 1945


def covered_columns():
    organizations = json.loads((ROOT / "fixtures" / "03_organizations.json").read_text(encoding="utf-8"))
    names = {o["fields"]["cow_igo"].lower() for o in organizations if o["fields"].get("cow_igo")}
    return sorted(names | {"eec"})


def read_rda(path=RDA):
    import rdata  # a test and tool dependency only

    return rdata.read_rda(str(path))["state_year_format3"]


def rows(frame, columns):
    frame = frame[frame["year"] >= FIRST_YEAR].sort_values(["ccode", "year"])
    for record in frame[["ccode", "year", "state", *columns]].itertuples(index=False):
        ccode, year, state, *codes = record
        yield [int(ccode), int(year), state, *(int(c) for c in codes)]


def main():
    columns = covered_columns()
    frame = read_rda()
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        sys.exit(f"Not in the COW file: {missing}")
    # mtime=0: the same input gives the same bytes, so a rerun leaves no diff.
    with gzip.GzipFile(OUT, "wb", mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["ccode", "year", "state", *columns])
        count = 0
        for row in rows(frame, columns):
            writer.writerow(row)
            count += 1
    names = sorted(c for c in frame.columns if c not in ("ccode", "year", "state"))
    NAMES.write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
    print(f"Wrote {count} state-years, {len(columns)} organizations to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
