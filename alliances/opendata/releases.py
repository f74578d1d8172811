"""Releases of the data set: a Data Package per data version, with a changelog against the previous one.

A release is a directory ``RELEASES_DIR/<data version>/`` holding the package
(``alliances.opendata.dataset``) and ``release.json``: version, date, files and the
changelog. The changelog is computed from the data itself: the two releases'
``memberships.csv`` are compared by the periods' natural key (country,
organization, start date):

* ``added``: a period the previous release did not have;
* ``removed``: a period it had that is gone (a corrected start date shows as
  one removed and one added);
* ``ended``: a period that was ongoing and now has an end date;
* ``corrected``: any other change of a period (status, own status, founding, end date),
  with the fields before and after.
"""

import contextlib
import csv
import datetime
import fcntl
import json
import re
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

from alliances.opendata import citation, dataset
from alliances.store import audit

NATURAL_KEY = ("country", "organization", "start_date")
VERSION_PATTERN = re.compile(r"^[0-9]+\.[0-9a-f]+$|^0$")


class AlreadyReleased(Exception):
    pass


class ReleaseInProgress(Exception):
    pass


def releases_dir():
    return settings.RELEASES_DIR


def releases():
    """Every release, newest first, as the dictionaries of their release.json."""
    root = releases_dir()
    if not root.is_dir():
        return []
    found = []
    for path in root.glob("*/release.json"):
        if path.parent.name.startswith("."):
            continue  # a run's staging folder, not (yet) a release
        found.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(found, key=lambda r: (r["created"], r["version"]), reverse=True)


def release(version):
    if not VERSION_PATTERN.match(version or ""):
        return None
    path = releases_dir() / version / "release.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _periods(path):
    with open(path, encoding="utf-8") as handle:
        return {tuple(row[k] for k in NATURAL_KEY): row for row in csv.DictReader(handle)}


def changelog(old_path, new_path):
    old = _periods(old_path) if old_path else {}
    new = _periods(new_path)
    log = {"added": [], "removed": [], "ended": [], "corrected": []}
    for key in sorted(new.keys() - old.keys()):
        log["added"].append(new[key])
    for key in sorted(old.keys() - new.keys()):
        log["removed"].append(old[key])
    for key in sorted(new.keys() & old.keys()):
        before, after = old[key], new[key]
        changed = {f: [before[f], after[f]] for f in after if f in before and before[f] != after[f]}
        if not changed:
            continue
        if set(changed) == {"end_date"} and not before["end_date"]:
            log["ended"].append(after)
        else:
            log["corrected"].append({**{k: after[k] for k in NATURAL_KEY}, "changes": changed})
    return log


@contextlib.contextmanager
def _one_release_at_a_time():
    """An exclusive lock on the releases folder (flock: released by the kernel if the process dies).

    Concurrent runs shared one staging folder and deleted each other's files: some
    crashed, and a release was published whose files were missing.
    """
    root = releases_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ReleaseInProgress(
                "Another release is being made now; run make_release again when it is done."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def make_release(*, progress=None, today=None):
    """Write the current data version's package as a release; refuses a version released already.

    One run at a time (others are refused with ReleaseInProgress), each staged in a folder
    of its own, read from one committed state, and published by one rename: a release is
    whole or absent.
    """
    with _one_release_at_a_time(), audit.snapshot():
        version = audit.data_version()
        target = releases_dir() / version
        if (target / "release.json").exists():
            raise AlreadyReleased(f"Data version {version} is released already (on {release(version)['date']}).")
        staging = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".partial", dir=releases_dir()))
        try:
            record = _stage(staging, version, progress, today)
            if target.exists():  # a folder a crashed run of an older make_release left: never half-published
                shutil.rmtree(target)
            staging.rename(target)  # the release appears whole or not at all
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return record


def _stage(staging, version, progress, today):
    published = releases()  # read once: every release.json
    previous = published[0] if published else None
    descriptor = dataset.write_package(staging, progress=progress)
    day = today or datetime.date.today()
    cited = citation.write_release_files(
        staging, version=version, changed_at=citation.version_changed_at(version), day=day
    )
    old_path = releases_dir() / previous["version"] / "memberships.csv" if previous else None
    log = changelog(old_path, staging / "memberships.csv")
    record = {
        "version": version,
        "date": (today or datetime.date.today()).isoformat(),
        "created": descriptor["created"],
        "previous": previous["version"] if previous else None,
        "files": sorted(["datapackage.json", *(r["path"] for r in descriptor["resources"]), *cited]),
        "counts": {k: len(v) for k, v in log.items()},
        "changelog": log,
    }
    missing = [name for name in record["files"] if not (staging / name).is_file()]
    if missing:
        raise RuntimeError(f"The staged release lacks {', '.join(missing)}; nothing was published.")
    (staging / "release.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return record
