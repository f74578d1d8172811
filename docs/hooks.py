"""MkDocs hook: the parts of the manual that are generated from the repository at build time.

A page asks for one with a marker on a line of its own:

- ``<!-- generated: fixtures -->`` (data.md): the organizations, their periods by status and
  precision and their sources by kind, counted in fixtures/*.json;
- ``<!-- generated: openapi -->`` (api.md): every operation and its query parameters, from the
  schema ``manage.py spectacular`` writes (the one served at /api/schema/);
- ``<!-- generated: bench -->`` (performance.md): the tables of the last recorded benchmark run,
  bench/results/latest.json (what ``make bench`` writes).

A marker that cannot be filled fails the build: the manual never shows a stale copy.
"""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
BENCH_RESULTS = REPO / "bench" / "results" / "latest.json"
STATUSES = ["member", "suspended", "associate", "observer", "partner", "candidate", "applicant"]
VERBS = {"get": "read", "post": "create", "put": "replace", "patch": "change", "delete": "delete"}
METHODS = list(VERBS)


def cell(value):
    """Text for one Markdown table cell."""
    return " ".join(str(value).split()).replace("|", "\\|")


def table(header, rows, align=None):
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# --- data.md ---------------------------------------------------------------------------------


def shown(day, precision):
    """A stored date as far as it is known (alliances/rules/periods.py stores a year as its last day)."""
    if not day:
        return ""
    return {"year": day[:4], "month": day[:7]}.get(precision, day)


KINDS = ["official_page", "treaty", "official_document", "news_article", "secondary"]
WEAK = {"news_article", "secondary"}


def fixtures_table():
    """Per organization: founding, periods by status, how precisely their starts are known, the kinds of
    their sources, and how many rest only on news or secondary sources (``validate_data --sources``
    lists those periods one by one)."""
    records = [r for path in sorted(FIXTURES.glob("*.json")) for r in json.loads(path.read_text())]
    organizations = [r["fields"] for r in records if r["model"] == "alliances.organization"]
    if not organizations:
        raise ValueError(f"no organization in {FIXTURES}")
    source_kind = {r["fields"]["slug"]: r["fields"]["kind"] for r in records if r["model"] == "alliances.source"}
    periods, precision, kinds, cited = Counter(), Counter(), Counter(), {}
    for r in records:
        fields = r["fields"]
        if r["model"] == "alliances.membership":
            org = fields["organization"][0]
            periods[org, fields["status"]] += 1
            precision[org, fields.get("start_precision", "day")] += 1
            cited.setdefault((fields["country"][0], org, fields["start_date"]), set())
        elif r["model"] == "alliances.citation" and fields["membership"]:
            kind = source_kind[fields["source"][0]]
            kinds[fields["organization"][0], kind] += 1
            cited.setdefault(tuple(fields["membership"]), set()).add(kind)
    weak = Counter(key[1] for key, found in cited.items() if found and found <= WEAK)
    rows = []
    for org in sorted(organizations, key=lambda o: (o["kind"], o["acronym"].lower())):
        slug = org["slug"]
        span = shown(org["founded"], org.get("founded_precision", "day"))
        if org.get("dissolved"):
            span += f" – {org['dissolved']}"
        elif org.get("dormant_since"):
            span += f" (dormant since {org['dormant_since']})"
        rows.append(
            [
                f"{org['name']} ({org['acronym']}, `{slug}`)",
                org["kind"].replace("_", " "),
                span,
                ", ".join(f"{periods[slug, s]} {s}" for s in STATUSES if periods[slug, s]) or "none",
                ", ".join(f"{precision[slug, p]} {p}" for p in ("day", "month", "year") if precision[slug, p]),
                ", ".join(f"{kinds[slug, k]} {k.replace('_', ' ')}" for k in KINDS if kinds[slug, k]),
                weak[slug],
            ]
        )
    total = sum(periods.values())
    header = [
        "organization (acronym, slug)",
        "kind",
        "founded",
        "periods by status",
        "start known to the",
        "citations by source kind",
        "periods on news or secondary sources only",
    ]
    return (
        table(header, rows)
        + f"\n\n{len(organizations)} organizations, {total} periods, {sum(weak.values())} of them resting only on "
        "news or secondary sources (counted in `fixtures/` when this page was built; "
        "`manage.py validate_data --sources` lists them)."
    )


# --- api.md ----------------------------------------------------------------------------------


def openapi_schema():
    # The schema needs no data: an in-memory database, so a build never creates or touches one.
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "DJANGO_SETTINGS_MODULE")}
    env["DATABASE_URL"] = "sqlite://:memory:"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--format", "openapi-json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py spectacular failed:\n{result.stderr}")
    return json.loads(result.stdout)


def openapi_reference():
    schema = openapi_schema()
    operations, parameters = [], []
    for path, item in schema["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            what = op.get("summary") or VERBS[method]
            operations.append([method.upper(), f"`{path}`", what])
            query = [p for p in op.get("parameters", []) if p["in"] == "query" and p["name"] != "format"]
            if method == "get" and query:
                for p in query:
                    kind = p.get("schema", {})
                    type_ = kind.get("format") or kind.get("type", "")
                    if "enum" in kind:
                        type_ = " / ".join(kind["enum"])
                    parameters.append([f"`{path}`", f"`{p['name']}`", type_, p.get("description", "")])
    return "\n\n".join(
        [
            f"Generated from the schema of {schema['info']['title']} {schema['info']['version']} when this page was "
            "built. Every operation also takes `format` (`json` or `csv`).",
            "### Operations",
            table(["method", "path", "what"], operations),
            "### Query parameters of the reads",
            table(["path", "parameter", "type", "meaning"], parameters),
        ]
    )


# --- performance.md --------------------------------------------------------------------------


def ratio(value):
    return "errors" if value is None else f"{value:.2f}"


def endpoint_table(result):
    rows = []
    for name, row in result["rows"].items():
        rows.append(
            [
                name,
                f"{row['rps']:.0f}",
                f"{row['p50_ms']:.2f}",
                f"{row['p99_ms']:.2f}",
                ratio(row["x_limit_a"]),
                ratio(row["x_limit_b"]),
                row.get("queries", ""),
                row["requests"],
                row["errors"],
            ]
        )
    return (
        f"**{result['dataset']}**: the Romania answer is {result['body_bytes']} bytes; "
        f"worker peak RSS {result['worker_peak_rss_mb']:.0f} MB.\n\n"
        + table(
            ["endpoint", "req/s", "p50 ms", "p99 ms", "× Limit A", "× Limit B", "SQL", "sent", "errors"],
            rows,
            ["---"] + ["---:"] * 8,
        )
    )


def bench_tables():
    results = json.loads(BENCH_RESULTS.read_text())
    parts = []
    recorded = results.get("recorded")
    machine = results.get("machine", {})
    about = f"The last recorded run: `{BENCH_RESULTS.relative_to(REPO)}`"
    if recorded:
        about += f", recorded on {recorded}"
    if results.get("command"):
        about += f" with `{results['command']}`"
    about += f", on {machine.get('cpus', '?')} cores"
    load = results.get("load_average")
    if load:
        about += f" (load average {load['before']:.1f} before, {load['after']:.1f} after)"
    parts.append(about + "." + (f" {results['note']}" if results.get("note") else ""))

    defaults = [results[k] for k in ("default_sqlite", "default_postgresql") if k in results]
    if defaults:
        parts.append("### Repeated reads, default set-up (no Redis)")
        parts.append("4 sync workers, `wrk -c10`, the Romania answer repeated, three rounds alternating with Limit A.")
        parts.append(
            table(
                ["database", "Limit A req/s", "repeat req/s", "errors", "× Limit A", "each round"],
                [
                    [
                        d["dataset"],
                        d["limit_a_rps"],
                        d["repeat_rps"],
                        d["errors"],
                        f"{d['x_limit_a']:.2f}",
                        ", ".join(f"{x:.2f}" for x in d["per_round_x"]),
                    ]
                    for d in defaults
                ],
                ["---", "---:", "---:", "---:", "---:", "---"],
            )
        )
    if "nginx" in results:
        nginx = results["nginx"]
        parts.append("### Through nginx")
        parts.append(
            f"The default set-up on {nginx['dataset']}, 4 sync workers, nginx with one worker process, "
            f"`wrk -c10`, the Romania answer repeated, {nginx['rounds']} rounds."
        )
        parts.append(
            table(
                ["path", "req/s", "× Limit A", "p50 ms", "X-Cache-Status", "each round (req/s)"],
                [
                    [
                        name,
                        row["rps"],
                        f"{row['x_limit_a']:.2f}",
                        f"{row['p50_ms']:.2f}",
                        row["x_cache_status"] or "-",
                        ", ".join(str(r) for r in row["per_round_rps"]),
                    ]
                    for name, row in nginx["rows"].items()
                ],
                ["---", "---:", "---:", "---:", "---", "---"],
            )
        )
    if "fixtures" in results:
        parts.append("### Every hot endpoint, with Redis")
        parts.append(endpoint_table(results["fixtures"]))
    if "fixture_load_seconds_postgresql" in results:
        parts.append(
            f"Loading every fixture into an empty PostgreSQL database (`load_fixtures`, Django's start-up "
            f"included): {results['fixture_load_seconds_postgresql']:.2f} s."
        )
    if "scale" in results:
        parts.append("### At scale")
        parts.append(endpoint_table(results["scale"]))
        ratios = results.get("scale_p50_ratio_uncached", {})
        if ratios:
            parts.append("Median latency of uncached reads at scale over the same on the fixtures:")
            parts.append(
                table(
                    ["endpoint", "p50 at scale / p50 on the fixtures"],
                    [[name, f"{value:.2f}"] for name, value in ratios.items()],
                    ["---", "---:"],
                )
            )
    if results.get("targets"):
        parts.append("### Targets")
        parts.append(
            table(
                ["target", "figure", "met"],
                [[t["target"], t["figure"], "met" if t["met"] else "not met"] for t in results["targets"]],
                ["---", "---:", "---"],
            )
        )
    if results.get("plans"):
        parts.append("### Query plans at scale")
        parts.append("```text\n" + results["plans"].rstrip() + "\n```")
    return "\n\n".join(parts)


GENERATORS = {
    "<!-- generated: fixtures -->": fixtures_table,
    "<!-- generated: openapi -->": openapi_reference,
    "<!-- generated: bench -->": bench_tables,
}


def on_page_markdown(markdown, page, config, files):
    for marker, generate in GENERATORS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown
