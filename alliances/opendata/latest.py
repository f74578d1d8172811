"""The current data as files (``/downloads/latest/``): the Data Package of the data version in force now.

Starting the app never writes anything, and a fresh install has no release until
someone runs ``make_release``; yet ``/downloads/latest/`` must always give every file
of the current data. So the files are built on the first request that needs them:

* a published release of the current data version is served as it is (same bytes,
  same ``created``, same checksums as ``/downloads/<version>/``);
* otherwise the package is written once per data version into
  ``RELEASES_DIR/.current/<version>/`` (a hidden folder: never listed as a release),
  a derived cache that may be deleted at any time.

Several workers (gunicorn) may ask at once: one builds while the others wait on an
exclusive lock (flock, released by the kernel if the process dies), each build is
staged in a folder of its own and published by one rename, so a reader sees the
whole package or none. Older versions' folders are removed once a newer one is
published (after a grace period, so a download under way is not cut short).
"""

import contextlib
import datetime
import fcntl
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from alliances.opendata import citation, dataset, releases
from alliances.store import audit

CACHE_FOLDER = ".current"
# A folder of an older version is kept this long after a newer one is published: a download
# that opened its files just before keeps reading them (an open file survives its unlinking anyway).
GRACE_SECONDS = 300


@dataclass(frozen=True)
class Package:
    """The current data's files: where they are and which data version they hold."""

    version: str
    directory: Path
    files: tuple  # file names, sorted
    created: str  # the package's creation time (ISO 8601, UTC): its Last-Modified
    release: bool  # whether it is a published release (else built for this version)

    def path(self, name):
        return self.directory / name if name in self.files else None


def cache_dir():
    return releases.releases_dir() / CACHE_FOLDER


def current():
    """The package of the current data version, built now if no release or earlier request has it."""
    version = audit.data_version()
    published = releases.release(version)
    if published is not None:
        return Package(
            version, releases.releases_dir() / version, tuple(published["files"]), published["created"], True
        )
    return _cached(version) or _build(version)


def _cached(version):
    descriptor_path = cache_dir() / version / "datapackage.json"
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    cited = [name for name in citation.RELEASE_FILES if (descriptor_path.parent / name).is_file()]
    files = sorted(["datapackage.json", *(r["path"] for r in descriptor["resources"]), *cited])
    return Package(version, descriptor_path.parent, tuple(files), descriptor["created"], False)


@contextlib.contextmanager
def _exclusive():
    """One build at a time across processes; the others wait, then find the package built."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield root
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(version):
    with _exclusive() as root:
        found = _cached(version)  # another worker built it while this one waited
        if found is not None:
            return found
        staging = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".partial", dir=root))
        try:
            staging.chmod(0o755)  # mkdtemp's 0700 would hide the files from a web server of another user
            descriptor = dataset.write_package(staging)
            # The package's own version, read in its snapshot: a write since this request began
            # makes it newer than ``version``, and it is filed under the version it holds.
            built = descriptor["version"]
            # The data set's citation, as a release carries it (naming this version, cited today).
            citation.write_release_files(
                staging, version=built, changed_at=citation.version_changed_at(built), day=datetime.date.today()
            )
            target = root / built
            if (target / "datapackage.json").exists():
                return _cached(built)
            if target.exists():  # a partial folder left by hand or by an older build: never served
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _remove_older(root, keep=built)
        return _cached(built)


def _remove_older(root, keep):
    now = time.time()
    for path in root.iterdir():
        if path.name == keep or not path.is_dir():
            continue
        stale = path.name.startswith(".") and path.name.endswith(".partial")  # a crashed build's staging
        if path.stat().st_mtime < now - GRACE_SECONDS and (stale or not path.name.startswith(".")):
            shutil.rmtree(path, ignore_errors=True)
