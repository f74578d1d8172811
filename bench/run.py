"""`make bench`: the product's endpoints against the stack's own limits, side by side.

On the local PostgreSQL, under gunicorn configured as docs/operations.md recommends
(gunicorn.conf.py, Redis for the shared caches), load from wrk on loopback.
Prints a table and writes bench/results/latest.json, from which docs/performance.md
draws its tables (commit it after a run worth publishing). Timings are never
asserted; the ratios to Limit A (bare WSGI) and Limit B (plain Django + one SQL
query) are what to track, because the machines are noisy.

    python -m bench.run [--duration 5] [--scale 1000000] [--skip-scale] [--skip-default]
"""

import argparse
import datetime
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.nginx_proxy import Nginx

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
PG = os.environ.get("PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL")  # unset: a private redis-server on a free port (never the shared one)
PORTS = range(int(os.environ.get("BENCH_PORT_MIN", "18000")), int(os.environ.get("BENCH_PORT_MAX", "18999")))

ENDPOINTS = [
    ("countries/RO/memberships", "/api/v1/countries/RO/memberships/?as_of=2021-12-30"),
    ("organizations/nato/members", "/api/v1/organizations/nato/members/"),
    ("countries?member_of=nato&eu", "/api/v1/countries/?member_of=nato&member_of=eu"),
    ("memberships?organization=osce", "/api/v1/memberships/?organization=osce"),
]
LIMIT_B_PATH = "/limit-b/romania/?as_of=2021-12-30"

# Uncached requests vary `as_of`, which every hot endpoint takes (an unknown parameter is a 400, so a
# random extra one measured errors): request k of the run asks for day k * STRIDE modulo the span, so
# no two requests of one run share a URL (each misses the response cache and the fast path) while
# the days spread over the whole span and every answer is a real 200. Unique while a run sends
# fewer requests than the span has days (UNCACHED_DAYS); the bench prints how many it sent.
UNCACHED_FIRST_DAY = "1976-01-01"  # after the OSCE's founding, so its list is never empty
UNCACHED_DAYS = 18262  # to 2025-12-31
UNCACHED_STRIDE = 7  # coprime with UNCACHED_DAYS: k -> k * 7 mod 18262 never repeats within the span
UNCACHED_LUA = """
local path = os.getenv("BENCH_PATH")
local sep = string.find(path, "?", 1, true) and "&" or "?"
local first = tonumber(os.getenv("BENCH_FIRST_EPOCH"))
local days = tonumber(os.getenv("BENCH_DAYS"))
local stride = tonumber(os.getenv("BENCH_STRIDE"))
local threads = tonumber(os.getenv("BENCH_THREADS"))
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  n = 0
end
request = function()
  -- Thread ``id`` sends requests k = id, id + threads, id + 2 * threads, ...: no k twice in the run.
  local k = id + threads * n
  n = n + 1
  local day = os.date("!%Y-%m-%d", first + ((k * stride) % days) * 86400)
  return wrk.format(nil, path .. sep .. "as_of=" .. day)
end
"""
INM_LUA = """
wrk.headers["If-None-Match"] = os.getenv("BENCH_ETAG")
"""


def sh(*args, env=None, check=True, capture=True):
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=capture, text=True)
    if check and result.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def psql(sql):
    sh("psql", f"{PG}/postgres", "-qc", sql)


def free_port():
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {PORTS}")


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        for _ in range(50):
            if sh("redis-cli", "-p", str(self.port), "ping", check=False).stdout.strip() == "PONG":
                break
            time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def product_env(database_url, redis=True):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "REDIS_URL", "WEB_CONCURRENCY")}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="bench-only-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        THROTTLE_ANON="100000000/minute",  # far above what wrk sends: measured, never hit
        THROTTLE_USER="100000000/minute",
        GUNICORN_ACCESS_LOG="/dev/null",
        # No recycling mid-measurement: a worker replaced after its max_requests pays its first request's
        # start-up (the name snapshot: 0.5 s on the fixtures, 1.1 s at 1,000,000 periods) while wrk's
        # connections queue behind it; in service that is once per 10,000 requests, here once per row.
        GUNICORN_MAX_REQUESTS="0",
    )
    if redis:
        env["REDIS_URL"] = REDIS
    return env


class Server:
    """gunicorn as `make serve` runs it, on a free loopback port."""

    def __init__(self, app, env):
        self.port = free_port()
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}"}
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/", timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)

    def workers(self):
        out = sh("ps", "--ppid", str(self.process.pid), "-o", "pid=", check=False).stdout.split()
        return [int(p) for p in out]

    def peak_rss_mb(self):
        peaks = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:  # gone since ps listed it
                continue
            # A worker that has just exited (gunicorn recycles them: max_requests) has no memory left to read.
            found = re.search(r"VmHWM:\s+(\d+)", status)
            if found:
                peaks.append(int(found.group(1)) / 1024)
        return max(peaks) if peaks else None

    def stop(self):
        self.process.terminate()
        self.process.wait(15)


WRK_THREADS = 2


def uncached_env(path):
    """What UNCACHED_LUA needs: the endpoint without its own ``as_of`` (the script sets one) and the days."""
    base, _, query = path.partition("?")
    kept = "&".join(p for p in query.split("&") if p and not p.startswith("as_of="))
    first = datetime.datetime.fromisoformat(UNCACHED_FIRST_DAY).replace(tzinfo=datetime.UTC)
    return {
        "BENCH_PATH": base + ("?" + kept if kept else ""),
        "BENCH_FIRST_EPOCH": str(int(first.timestamp())),
        "BENCH_DAYS": str(UNCACHED_DAYS),
        "BENCH_STRIDE": str(UNCACHED_STRIDE),
        "BENCH_THREADS": str(WRK_THREADS),
    }


def wrk(url, duration, script=None, env=None, connections=16):
    args = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    sent = int(re.search(r"(\d+) requests in", out).group(1))

    def latency(pct):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return {"rps": rps, "p50_ms": latency(50), "p99_ms": latency(99), "errors": errors, "requests": sent}


QUERY_COUNT_SCRIPT = """
import json, sys, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="127.0.0.1")
client.get("/api/v1/countries/RO/")  # warm the reference snapshot, as a running worker has it
client.get("/api/v1/countries/RO/memberships/?as_of=1998-01-01")  # and the read model of this data version
out = {}
for name, path in json.loads(sys.argv[1]):
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)  # a day no other request asks for: a miss, then a repeat
        assert response.status_code == 200, (path, response.status_code)
        counts.append(len(ctx.captured_queries))
    out[name] = {"uncached": counts[0], "cached": counts[1], "bytes": len(response.content)}
print(json.dumps(out))
"""


def query_counts(env):
    paths = []
    for name, path in ENDPOINTS:
        base = uncached_env(path)["BENCH_PATH"]
        paths.append((name, base + ("&" if "?" in base else "?") + "as_of=1999-03-12"))
    result = sh(
        PY, "-c", QUERY_COUNT_SCRIPT, json.dumps(paths), env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def ratio(row, limit):
    """``row``'s throughput over ``limit``'s, or None if either had an error (non-2xx/3xx or socket)."""
    if row["errors"] or limit["errors"]:
        return None
    return round(row["rps"] / limit["rps"], 3)


def shown(x):
    return f"{x:6.2f}" if x is not None else f"{'ERR':>6}"


def warm_up(server, scripts):
    """A second of uncached load on each hot endpoint, unmeasured, so every worker has built what its
    first request builds (the name snapshot, the read model) before a row is timed: the rows compare
    steady states."""
    for _, path in ENDPOINTS:
        wrk(server.base + "/", 1, scripts["uncached"], uncached_env(path))


def measure(label, database_url, duration, scripts):
    env = product_env(database_url)
    counts = query_counts(env)
    body_bytes = counts[ENDPOINTS[0][0]]["bytes"]
    rows = {}

    limit_a = Server("bench.limit_a:application", {**env, "BENCH_BODY_BYTES": str(body_bytes)})
    try:
        rows["Limit A (bare WSGI)"] = wrk(limit_a.base + "/", duration)
    finally:
        limit_a.stop()

    limit_b = Server("config.wsgi", {**env, "DJANGO_SETTINGS_MODULE": "bench.limit_b_settings", "FASTPATH": "0"})
    try:
        rows["Limit B (Django + 1 SQL)"] = wrk(limit_b.base + LIMIT_B_PATH, duration)
    finally:
        limit_b.stop()

    server = Server("config.wsgi", env)
    try:
        warm_up(server, scripts)
        for name, path in ENDPOINTS:
            url = server.base + path
            first = urllib.request.urlopen(url)
            etag = first.headers["ETag"]
            rows[f"{name} [uncached]"] = wrk(server.base + "/", duration, scripts["uncached"], uncached_env(path))
            rows[f"{name} [repeat]"] = wrk(url, duration)
            rows[f"{name} [repeat, If-None-Match]"] = wrk(url, duration, scripts["inm"], {"BENCH_ETAG": etag})
            for key in (f"{name} [uncached]", f"{name} [repeat]", f"{name} [repeat, If-None-Match]"):
                rows[key]["queries"] = counts[name]["cached" if "repeat" in key else "uncached"]
        peak = server.peak_rss_mb()
    finally:
        server.stop()

    limit_a, limit_b = rows["Limit A (bare WSGI)"], rows["Limit B (Django + 1 SQL)"]
    for row in rows.values():
        # A ratio built on errors (a 400 is cheaper than an answer) is no measurement: none is given.
        row["x_limit_a"] = ratio(row, limit_a)
        row["x_limit_b"] = ratio(row, limit_b)
    return {"dataset": label, "rows": rows, "worker_peak_rss_mb": peak, "body_bytes": body_bytes}


def measure_default(label, database_url, duration, rounds=3):
    """The quick start's own check: no Redis, 4 sync workers, `wrk -c10`, the Romania answer repeated,
    against Limit A serving the same number of bytes; rounds alternate so load drift hits both."""
    env = {**product_env(database_url, redis=False), "WEB_CONCURRENCY": "4"}
    path = ENDPOINTS[0][1]
    server = Server("config.wsgi", env)
    try:
        body = urllib.request.urlopen(server.base + path).read()
        limit_a = Server("bench.limit_a:application", {**env, "BENCH_BODY_BYTES": str(len(body))})
        try:
            a, p = [], []
            for _ in range(rounds):
                a.append(wrk(limit_a.base + "/", duration, connections=10))
                p.append(wrk(server.base + path, duration, connections=10))
        finally:
            limit_a.stop()
    finally:
        server.stop()
    a_rps = sum(r["rps"] for r in a) / rounds
    p_rps = sum(r["rps"] for r in p) / rounds
    return {
        "dataset": label,
        "limit_a_rps": round(a_rps),
        "repeat_rps": round(p_rps),
        "errors": sum(r["errors"] for r in p),
        "x_limit_a": round(p_rps / a_rps, 3),
        "per_round_x": [round(pr["rps"] / ar["rps"], 2) for ar, pr in zip(a, p, strict=True)],
    }


NGINX_MAX_AGE = 5


def measure_nginx(label, database_url, duration, directory, rounds=3):
    """The Romania answer repeated through deploy/nginx/alliances.conf.template, in the default set-up.

    Side by side, alternating in each round: Limit A (same bytes), gunicorn
    straight, nginx in front of it with the default "public, no-cache" (every
    use revalidated: the app answers 304, nginx sends its stored body), and nginx
    in front of a second gunicorn with PUBLIC_CACHE_MAX_AGE (hits that never
    reach the app). nginx runs one worker process.
    """
    env = {**product_env(database_url, redis=False), "WEB_CONCURRENCY": "4", "TRUSTED_PROXY_COUNT": "1"}
    path = ENDPOINTS[0][1]
    servers, proxies = [], []
    try:
        app = Server("config.wsgi", env)
        servers.append(app)
        app_max_age = Server("config.wsgi", {**env, "PUBLIC_CACHE_MAX_AGE": str(NGINX_MAX_AGE)})
        servers.append(app_max_age)
        body = urllib.request.urlopen(app.base + path).read()
        limit_a = Server("bench.limit_a:application", {**env, "BENCH_BODY_BYTES": str(len(body))})
        servers.append(limit_a)
        for name, upstream in (("no-cache", app), ("max-age", app_max_age)):
            proxy = Nginx(Path(directory, f"nginx-{name}"), free_port(), f"127.0.0.1:{upstream.port}").start()
            proxies.append(proxy)
        urls = {
            "Limit A (bare WSGI)": limit_a.base + "/",
            "gunicorn, straight": app.base + path,
            "nginx -> gunicorn, public no-cache (revalidated every use)": proxies[0].base + path,
            f"nginx -> gunicorn, PUBLIC_CACHE_MAX_AGE={NGINX_MAX_AGE} (cache hits)": proxies[1].base + path,
        }
        # What each row measures, as nginx reports it once the entry is stored.
        served_as = {}
        for name, url in urls.items():
            urllib.request.urlopen(url).read()
            served_as[name] = urllib.request.urlopen(url).headers.get("X-Cache-Status", "")
        runs = {name: [] for name in urls}
        for _ in range(rounds):
            for name, url in urls.items():
                runs[name].append(wrk(url, duration, connections=10))
    finally:
        for proxy in proxies:
            proxy.stop()
        for server in servers:
            server.stop()
    a_rps = sum(r["rps"] for r in runs["Limit A (bare WSGI)"]) / rounds
    rows = {}
    for name, results in runs.items():
        rps = sum(r["rps"] for r in results) / rounds
        rows[name] = {
            "rps": round(rps),
            "x_limit_a": round(rps / a_rps, 3),
            "p50_ms": round(sum(r["p50_ms"] for r in results) / rounds, 2),
            "errors": sum(r["errors"] for r in results),
            "x_cache_status": served_as[name],
            "per_round_rps": [round(r["rps"]) for r in results],
        }
    return {"dataset": label, "rounds": rounds, "rows": rows}


def print_nginx(result):
    print(f"{'':58} {'req/s':>7} {'xA':>6} {'p50 ms':>7}  X-Cache-Status  (rounds)")
    for name, row in result["rows"].items():
        print(
            f"{name:58} {row['rps']:7} {row['x_limit_a']:6.2f} {row['p50_ms']:7.2f}  "
            f"{row['x_cache_status'] or '-':14}  {row['per_round_rps']}"
            + (f"  {row['errors']} non-2xx" if row["errors"] else "")
        )


def print_default(result):
    print(
        f"{result['dataset']:58} Limit A {result['limit_a_rps']:6} req/s, repeat {result['repeat_rps']:6} req/s "
        f"({result['errors']} non-2xx): {result['x_limit_a']:.2f}x  (rounds {result['per_round_x']})"
    )


def print_table(result):
    print(
        f"\n== {result['dataset']}  (Romania answer {result['body_bytes']} bytes; "
        f"worker peak RSS {result['worker_peak_rss_mb']:.0f} MB)"
    )
    print(
        f"{'endpoint':58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'xA':>6} {'xB':>6} {'SQL':>4} "
        f"{'sent':>7} {'errors':>6}"
    )
    for name, row in result["rows"].items():
        print(
            f"{name:58} {row['rps']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{shown(row['x_limit_a'])} {shown(row['x_limit_b'])} {row.get('queries', ''):>4} "
            f"{row['requests']:7} {row['errors']:6}"
        )
    unique = [n for n, r in result["rows"].items() if n.endswith("[uncached]") and r["requests"] > UNCACHED_DAYS]
    if unique:
        print(f"  (more than {UNCACHED_DAYS} requests in {', '.join(unique)}: some days were asked twice)")


DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "alliances_bench")


def prepare_sqlite(directory):
    """The quick start's database: SQLite, migrated and loaded."""
    url = f"sqlite:///{Path(directory, 'bench.sqlite3')}"
    env = {**os.environ, "DATABASE_URL": url}
    sh(PY, "manage.py", "migrate", "-v0", env=env)
    sh(PY, "manage.py", "load_fixtures", "-v0", env=env)
    return url


def prepare(db, scale=None):
    db = DB_PREFIX + db.removeprefix("alliances_bench")
    url = f"{PG}/{db}"
    psql(f"DROP DATABASE IF EXISTS {db}")
    psql(f"CREATE DATABASE {db}")
    env = {**os.environ, "DATABASE_URL": url}
    sh(PY, "manage.py", "migrate", "-v0", env=env)
    started = time.monotonic()
    sh(PY, "manage.py", "load_fixtures", "-v0", env=env)
    load_seconds = time.monotonic() - started
    if scale:
        sh(PY, "manage.py", "generate_synthetic", "--periods", str(scale), env=env, capture=False)
    return url, load_seconds


def explain(url):
    result = sh(PY, "manage.py", "explain_hot_queries", env={**os.environ, "DATABASE_URL": url})
    return result.stdout


def measure_sql_path(url, duration, scripts):
    """The uncached hot reads on the fixtures with the read model off: the path the scale run takes."""
    server = Server("config.wsgi", {**product_env(url), "READ_MODEL_MAX_PERIODS": "0"})
    rows = {}
    try:
        warm_up(server, scripts)
        for name, path in ENDPOINTS:
            urllib.request.urlopen(server.base + path)
            rows[name] = wrk(server.base + "/", duration, scripts["uncached"], uncached_env(path))
    finally:
        server.stop()
    return rows


def scale(results, args, scripts, fixtures_url):
    # Like with like: at 1,000,000 periods the read model is off (above READ_MODEL_MAX_PERIODS), so the
    # scale run's SQL path is compared with the SQL path on the fixtures, not with the read model.
    results["fixtures_sql_path"] = measure_sql_path(fixtures_url, args.duration, scripts)
    url, _ = prepare("alliances_bench_scale", scale=args.scale)
    results["scale"] = measure(f"synthetic, {args.scale:,} periods", url, args.duration, scripts)
    print_table(results["scale"])
    ratios = {}
    for name, _ in ENDPOINTS:
        key = f"{name} [uncached]"
        ratios[name] = round(results["scale"]["rows"][key]["p50_ms"] / results["fixtures_sql_path"][name]["p50_ms"], 2)
    results["scale_p50_ratio_uncached"] = ratios
    print("\nMedian latency at scale / on the fixtures, both on the SQL path (uncached):")
    for name, ratio in ratios.items():
        print(f"  {name:40} {ratio:.2f}x")
    plans = explain(url)
    results["plans"] = plans
    print("\nQuery plans of the hot queries at scale:\n" + plans)


TARGETS_REPEAT = 0.5
TARGET_UNCACHED = 0.7


def print_targets(results):
    """Every performance target against its figure from this run."""
    rows = []
    for key in ("default_sqlite", "default_postgresql"):
        if key in results:
            x = results[key]["x_limit_a"]
            rows.append((f"repeat, default set-up, {results[key]['dataset']} (xA)", f"{x:.2f}", x >= TARGETS_REPEAT))
    fixtures = results.get("fixtures", {}).get("rows", {})
    for kind, key, target, label in (
        ("[repeat]", "x_limit_a", TARGETS_REPEAT, "repeat, with Redis, worst endpoint (xA)"),
        ("[uncached]", "x_limit_b", TARGET_UNCACHED, "uncached, worst hot endpoint (xB)"),
    ):
        figures = [r[key] for n, r in fixtures.items() if n.endswith(kind)]
        if not figures:
            continue
        if None in figures:
            rows.append((label, "errors", False))  # not measured: some answers were errors
        else:
            rows.append((label, f"{min(figures):.2f}", min(figures) >= target))
    if "scale_p50_ratio_uncached" in results:
        worst = max(results["scale_p50_ratio_uncached"].values())
        rows.append(("p50 at 1M / fixtures, SQL path, worst (x)", f"{worst:.2f}", worst <= 1.5))
        rss = results["scale"]["worker_peak_rss_mb"]
        rows.append(("worker peak RSS at scale (MB)", f"{rss:.0f}", rss <= 150))
    load = results.get("fixture_load_seconds_postgresql")
    if load is not None:
        rows.append(("fixture load, PostgreSQL (s)", f"{load:.2f}", load < 2))
    print("\n== targets")
    for name, figure, met in rows:
        print(f"  {name:50} {figure:>8}   {'met' if met else 'NOT met'}")
        if not met:
            print(f"      why: {why_not(name)}")
    results["targets"] = [
        {"target": n, "figure": f, "met": m, **({} if m else {"why": why_not(n)})} for n, f, m in rows
    ]


# Why a target can be missed, as far as the measurements explain it (docs/performance.md says more).
WHY_NOT = {
    "repeat, default set-up, PostgreSQL": "each repeat still reads the data version, a round trip to a "
    "PostgreSQL process that competes with wrk and the workers for the same two cores",
    "repeat, default set-up, SQLite": "each repeat still reads the data version (in-process on SQLite)",
    "repeat, with Redis": "each repeat also makes one Redis round trip for the shared rate limit",
    "uncached": "DRF's request handling, the parameter checks and the response cache's store and ETag, "
    "which Limit B does not do; the lists send larger bodies than Limit B's Romania answer",
    "p50 at 1M": "not the index scans, which take 0.2-1.8 ms at scale (the plans above); the synthetic data "
    "adds some 3,000 organizations, which a state's query hashes on every request, and under load the "
    "database's share of the two cores grows; not yet explained further",
    "worker peak RSS": "the worker's code, its name snapshot of the synthetic organizations, and the fast path's "
    "and the fallback cache's budgets (32 + 16 MB) filled by the uncached rows; the read model is off at this size",
    "fixture load": "Django's start-up and the per-row validation of a data set a quarter larger than when the "
    "target was set (2,852 citations, 944 sources)",
}


def why_not(target):
    return next((why for prefix, why in WHY_NOT.items() if target.startswith(prefix)), "not explained by this run")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per measurement")
    parser.add_argument("--scale", type=int, default=1_000_000, help="membership periods in the synthetic dataset")
    parser.add_argument("--skip-scale", action="store_true", help="only the real fixtures")
    parser.add_argument(
        "--skip-default", action="store_true", help="without the default set-up's rounds (only the table with Redis)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        scripts = {"uncached": Path(tmp, "uncached.lua"), "inm": Path(tmp, "inm.lua")}
        scripts["uncached"].write_text(UNCACHED_LUA)
        scripts["inm"].write_text(INM_LUA)
        scripts = {k: str(v) for k, v in scripts.items()}

        results = {
            "recorded": datetime.date.today().isoformat(),
            "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        }
        global REDIS
        private_redis = None
        if REDIS is None:
            private_redis = PrivateRedis()
            REDIS = private_redis.url
        try:
            url, load_seconds = prepare("alliances_bench")
            results["fixture_load_seconds_postgresql"] = round(load_seconds, 2)
            print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
            results["load_average"] = {"before": round(os.getloadavg()[0], 2)}
            if not args.skip_default:
                print("\n== repeated reads, default set-up (no Redis), 4 sync workers, wrk -c10, Romania answer")
                results["default_sqlite"] = measure_default(
                    "SQLite (the quick start)", prepare_sqlite(tmp), args.duration
                )
                print_default(results["default_sqlite"])
                results["default_postgresql"] = measure_default("PostgreSQL", url, args.duration)
                print_default(results["default_postgresql"])
                print(
                    "\n== through nginx (deploy/nginx/alliances.conf.template), default set-up (no Redis) on "
                    "PostgreSQL, 4 sync workers, wrk -c10, Romania answer"
                )
                results["nginx"] = measure_nginx("PostgreSQL", url, args.duration, tmp)
                print_nginx(results["nginx"])
            results["fixtures"] = measure("real fixtures, with Redis", url, args.duration, scripts)
            print_table(results["fixtures"])
            print(f"\nLoading all fixtures into an empty PostgreSQL database: {load_seconds:.2f} s (load_fixtures)")
            if not args.skip_scale:
                scale(results, args, scripts, url)
        finally:
            if private_redis is not None:
                private_redis.stop()
        print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        results.setdefault("load_average", {})["after"] = round(os.getloadavg()[0], 2)
        print_targets(results)

    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"\nWritten: {out / 'latest.json'}")


if __name__ == "__main__":
    main()
