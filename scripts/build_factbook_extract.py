"""Derive, once, the Factbook extract the cross-check reads (alliances/opendata/data/factbook/participation.json).

The CIA World Factbook (public domain; discontinued in February 2026) as the factbook/factbook.json
repository keeps it (CC0): one JSON file per country. Only what the cross-check needs is kept: each
country's name, its "International organization participation" text, and the day its file was
last changed there, which is the day the text is compared on.

    python scripts/build_factbook_extract.py /path/to/factbook.json-checkout-or-bare-repo
"""

import html
import json
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "alliances" / "opendata" / "data" / "factbook" / "participation.json"
REGIONS = {
    "africa", "antarctica", "australia-oceania", "central-america-n-caribbean", "central-asia", "east-n-southeast-asia",
    "europe", "middle-east", "north-america", "oceans", "south-america", "south-asia", "world",
}  # fmt: skip


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def main(repo):
    commit = git(repo, "rev-parse", "HEAD").strip()
    countries = []
    for name in sorted(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()):
        region = name.split("/")[0]
        if region not in REGIONS or not name.endswith(".json") or region in ("oceans", "world", "antarctica"):
            continue
        data = json.loads(git(repo, "show", f"HEAD:{name}"))
        government = data.get("Government", {})
        text = government.get("International organization participation", {}).get("text", "")
        names = government.get("Country name", {})
        short, long = (
            html.unescape(names.get(form, {}).get("text", "")).strip()
            for form in ("conventional short form", "conventional long form")
        )
        if not text or text.strip().lower() == "none":
            continue
        changed = git(repo, "log", "-1", "--format=%as", "--", name).strip()
        countries.append(
            {
                "file": name,
                "names": [n for n in (short, long) if n and n.lower() != "none"],
                "participation": html.unescape(text),
                "changed": changed,
            }
        )
    OUT.write_text(
        json.dumps(
            {
                "source": {
                    "title": "The World Factbook: International organization participation",
                    "publisher": "Central Intelligence Agency (public domain), as kept by the factbook/factbook.json "
                    "repository (CC0 1.0)",
                    "repository": "https://github.com/factbook/factbook.json",
                    "commit": commit,
                },
                "countries": countries,
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(countries)} countries written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
