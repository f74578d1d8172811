#!/usr/bin/env python3
"""Start, stop, pause and resume a PostgreSQL streaming replica of the local primary.

A real replica on this machine, for the router's tests (tests/platform/test_replicas.py)
and for trying ``DATABASE_REPLICA_URLS`` by hand:

    .venv/bin/python scripts/pg_replica.py check                 # may the primary stream to 127.0.0.1?
    .venv/bin/python scripts/pg_replica.py allow-replication     # if not: add one pg_hba line, reload (no restart)
    .venv/bin/python scripts/pg_replica.py start --port 55440    # prints the replica's URL and directory (JSON)
    .venv/bin/python scripts/pg_replica.py pause --port 55440    # stop replaying WAL: the replica lags
    .venv/bin/python scripts/pg_replica.py resume --port 55440
    .venv/bin/python scripts/pg_replica.py stop --dir /tmp/alliances-replica-... [--keep]
    .venv/bin/python scripts/pg_replica.py start --port 55440 --dir /tmp/alliances-replica-...   # again

``start`` copies the primary with ``pg_basebackup -R -X stream`` (``-R`` writes
``standby.signal`` and ``primary_conninfo``) into a fresh directory owned by the
``postgres`` OS user (initdb and pg_ctl refuse to run as root) and starts it on
its own port, listening on 127.0.0.1 only, with a socket in that directory.
No replication slot is created: a slot left behind by a replica that was never
stopped would make the shared primary keep WAL forever. Without one the primary
may recycle WAL a stopped replica still needs; a test replica is then simply
started again. Pausing replay does not stop the WAL receiver, so a paused
replica still holds every WAL segment it needs to catch up.

Environment: ``PRIMARY_HOST`` (127.0.0.1), ``PRIMARY_PORT`` (5432), ``PRIMARY_USER``
(postgres), ``PG_BIN`` (/usr/lib/postgresql/15/bin). The replica runs the same
major version as the primary (a physical copy needs it).
"""

import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PRIMARY_HOST = os.environ.get("PRIMARY_HOST", "127.0.0.1")
PRIMARY_PORT = int(os.environ.get("PRIMARY_PORT", "5432"))
PRIMARY_USER = os.environ.get("PRIMARY_USER", "postgres")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
OS_USER = "postgres"
HBA_LINE = f"host replication {PRIMARY_USER} {PRIMARY_HOST}/32 trust"

# A hot standby refuses to start with fewer of these than its primary has.
MATCH_PRIMARY = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


class ReplicaError(RuntimeError):
    """A step failed; the message says which and what to do."""


def _bin(name):
    return os.path.join(PG_BIN, name)


def _as_postgres(argv):
    """Run as the postgres OS user when we are root (PostgreSQL's tools refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *argv]
    return argv


def _run(argv, what, timeout=120):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise ReplicaError(f"{what} failed ({' '.join(argv)}):\n{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def _psql(sql, port=PRIMARY_PORT, host=PRIMARY_HOST, dbname="postgres", replication=False, timeout=30):
    conninfo = f"host={host} port={port} user={PRIMARY_USER} dbname={dbname} connect_timeout=5"
    if replication:
        conninfo += " replication=true"
    return subprocess.run([_bin("psql"), conninfo, "-XAtqc", sql], capture_output=True, text=True, timeout=timeout)


def replication_allowed():
    """(True, "") if the primary accepts a replication connection from this host, else (False, why)."""
    result = _psql("IDENTIFY_SYSTEM", replication=True)
    if result.returncode == 0:
        return True, ""
    return False, result.stderr.strip()


def how_to_allow():
    hba = _psql("SHOW hba_file").stdout.strip() or "pg_hba.conf"
    return (
        f"The primary at {PRIMARY_HOST}:{PRIMARY_PORT} refuses replication connections from {PRIMARY_HOST}.\n"
        f'Add this line to {hba} ("all" databases do not include replication):\n'
        f"    {HBA_LINE}\n"
        "then reload (no restart needed): psql -U postgres -c 'SELECT pg_reload_conf()'\n"
        "(`scripts/pg_replica.py allow-replication` does exactly this). Also needed, and PostgreSQL's defaults:\n"
        "wal_level = replica, max_wal_senders > 0."
    )


def allow_replication():
    """Append the replication line to the primary's pg_hba.conf if it is missing, and reload.

    A reload, not a restart: sessions of other users are not touched.
    """
    allowed, _ = replication_allowed()
    if allowed:
        return "replication from this host was already allowed; nothing changed"
    hba = _psql("SHOW hba_file").stdout.strip()
    if not hba:
        raise ReplicaError("cannot read the primary's hba_file setting (needs a superuser connection)")
    with open(hba, "a") as f:
        f.write(f"\n# Streaming replicas on this machine (scripts/pg_replica.py of alliances).\n{HBA_LINE}\n")
    reload = _psql("SELECT pg_reload_conf()")
    if reload.returncode != 0:
        raise ReplicaError(f"pg_reload_conf() failed: {reload.stderr.strip()}")
    for _ in range(50):  # the postmaster rereads pg_hba.conf asynchronously
        if replication_allowed()[0]:
            return f"added '{HBA_LINE}' to {hba} and reloaded the primary's configuration"
        time.sleep(0.1)
    raise ReplicaError(f"added '{HBA_LINE}' to {hba} and reloaded, but replication is still refused")


def port_free(port):
    with socket.socket() as s:
        # As PostgreSQL binds: a port whose last connections are in TIME_WAIT is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _primary_settings():
    values = {}
    for name in MATCH_PRIMARY:
        result = _psql(f"SHOW {name}")
        if result.returncode != 0:
            raise ReplicaError(f"cannot reach the primary at {PRIMARY_HOST}:{PRIMARY_PORT}: {result.stderr.strip()}")
        values[name] = result.stdout.strip()
    return values


def start(port, directory=None, timeout=60):
    """Copy the primary and start the copy as a hot standby on ``port``; returns its description."""
    allowed, why = replication_allowed()
    if not allowed:
        raise ReplicaError(f"{why}\n\n{how_to_allow()}")
    if not port_free(port):
        raise ReplicaError(f"port {port} is in use; choose another with --port")
    if directory and os.path.exists(os.path.join(directory, "data", "PG_VERSION")):
        return _start_copy(directory, port, timeout, began=time.monotonic(), copied=0.0)
    created = not directory or not os.path.exists(directory)
    directory = directory or tempfile.mkdtemp(prefix="alliances-replica-")
    os.makedirs(directory, exist_ok=True)
    try:
        return _copy_and_start(directory, port, timeout)
    except BaseException:
        if created:
            stop(directory)
        raise


def _copy_and_start(directory, port, timeout):
    data = os.path.join(directory, "data")
    owner = pwd.getpwnam(OS_USER) if os.geteuid() == 0 else None
    if owner:
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    os.chmod(directory, 0o700)
    began = time.monotonic()
    _run(
        _as_postgres(
            [_bin("pg_basebackup"), "-h", PRIMARY_HOST, "-p", str(PRIMARY_PORT), "-U", PRIMARY_USER]
            + ["-D", data, "-X", "stream", "-R", "-c", "fast", "--no-sync"]
        ),
        "pg_basebackup",
        timeout=timeout,
    )
    copied = time.monotonic() - began
    settings = _primary_settings()
    # Debian keeps the primary's postgresql.conf and pg_hba.conf in /etc, so the copy has none.
    config = {
        "port": str(port),
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{directory}'",
        "hot_standby": "on",
        "shared_buffers": "'32MB'",
        "fsync": "off",  # a throw-away copy: it is rebuilt from the primary, never recovered
        "logging_collector": "off",
        **settings,
    }
    files = {
        "postgresql.conf": "".join(f"{name} = {value}\n" for name, value in config.items()),
        "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        "pg_ident.conf": "",
    }
    for name, text in files.items():
        path = os.path.join(data, name)
        with open(path, "w") as f:
            f.write(text)
        if owner:
            os.chown(path, owner.pw_uid, owner.pw_gid)
    return _start_copy(directory, port, timeout, began, copied)


def _start_copy(directory, port, timeout, began, copied):
    """Start the copy in ``directory`` (made by ``start``, perhaps stopped since) and wait until it streams."""
    data = os.path.join(directory, "data")
    log = os.path.join(directory, "replica.log")
    try:
        _run(
            _as_postgres([_bin("pg_ctl"), "-D", data, "-l", log, "-o", f"-p {port}", "-w", "-t", str(timeout)])
            + ["start"],
            "pg_ctl start",
            timeout=timeout + 5,
        )
    except ReplicaError as error:
        raise ReplicaError(f"{error}\n-- end of {log}:\n{_tail(log)}") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = _psql("SELECT status FROM pg_stat_wal_receiver", port=port)
        if result.returncode == 0 and result.stdout.strip() == "streaming":
            break
        time.sleep(0.1)
    else:
        message = f"the replica on port {port} did not start streaming within {timeout} s; end of {log}:\n{_tail(log)}"
        stop(directory, remove=False)
        raise ReplicaError(message)
    return {
        "port": port,
        "dir": directory,
        "url": f"postgres://{PRIMARY_USER}@127.0.0.1:{port}/",
        "log": log,
        "copy_seconds": round(copied, 2),
        "start_seconds": round(time.monotonic() - began, 2),
    }


def _tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as error:
        return f"({error})"


def stop(directory, remove=True):
    """Stop the replica in ``directory`` and, by default, delete the directory.

    An immediate shutdown: the copy has nothing worth flushing, and starting it
    again recovers like a standby after a crash.
    """
    data = os.path.join(directory, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
    if remove:
        shutil.rmtree(directory, ignore_errors=True)


def pause(port):
    """Stop replaying WAL: the replica keeps receiving it but answers with the data it had."""
    result = _psql("SELECT pg_wal_replay_pause()", port=port)
    if result.returncode != 0:
        raise ReplicaError(result.stderr.strip())


def resume(port):
    result = _psql("SELECT pg_wal_replay_resume()", port=port)
    if result.returncode != 0:
        raise ReplicaError(result.stderr.strip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="say whether the primary accepts replication connections, and how to allow them")
    sub.add_parser("allow-replication", help="add the pg_hba.conf line and reload the primary (no restart)")
    p = sub.add_parser("start", help="copy the primary and start the copy as a streaming replica")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", help="a new directory (default: a temporary one), or a stopped replica's to start it again")
    p = sub.add_parser("stop", help="stop the replica and delete its directory")
    p.add_argument("--dir", required=True)
    p.add_argument("--keep", action="store_true", help="keep the directory")
    for name in ("pause", "resume"):
        sub.add_parser(name, help=f"{name} WAL replay on the replica").add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            allowed, why = replication_allowed()
            print("replication from this host is allowed" if allowed else f"{why}\n\n{how_to_allow()}")
            return 0 if allowed else 1
        if args.command == "allow-replication":
            print(allow_replication())
        elif args.command == "start":
            print(json.dumps(start(args.port, args.dir)))
        elif args.command == "stop":
            stop(args.dir, remove=not args.keep)
        elif args.command == "pause":
            pause(args.port)
        elif args.command == "resume":
            resume(args.port)
    except (ReplicaError, subprocess.TimeoutExpired) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
