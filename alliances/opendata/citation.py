"""How to cite the data set, a page of it or one fact: plain text, BibTeX and CSL-JSON.

A citation names what a reader needs to find the same answer again: the data
version (``audit.data_version``), the day it was last changed, and the day the
page was asked about (``as_of``), since the same page shows other members on
another day. The title and authors are those of CITATION.cff in the repository
(tests/web/test_cite.py keeps the two the same).

``version_changed_at`` is the time of the latest recorded change, read once per
data version and process: the pages show it, and it must not cost a query each.
"""

import datetime
import json
import re
import threading

from django.conf import settings

from alliances.models import AuditEvent

DATASET_TITLE = "alliances: international organizations and their member states, with dated, sourced membership periods"
AUTHORS = "The alliances contributors"

FORMATS = {
    "text": "text/plain; charset=utf-8",
    "bibtex": "text/x-bibtex; charset=utf-8",
    "csl-json": "application/vnd.citationstyles.csl+json",
}

_lock = threading.Lock()
_changed_at: dict[str, datetime.datetime | None] = {}


def version_changed_at(version):
    """When the data was last changed (the latest audit event), for the data version ``version``.

    Kept per version: a write moves the version, so a stale time is never shown. None
    before any change was recorded.
    """
    if version not in _changed_at:
        at = AuditEvent.objects.order_by("-id").values_list("at", flat=True).first()
        with _lock:
            if len(_changed_at) > 16:  # old versions are never asked for again
                _changed_at.clear()
            _changed_at[version] = at
    return _changed_at[version]


def _date_parts(day):
    return {"date-parts": [[day.year, day.month, day.day]]}


def _bibtex_escape(text):
    """Braces and TeX's special characters escaped, so a title such as “NATO–Russia & co.” survives."""
    text = text.replace("\\", "\\textbackslash{}")
    text = re.sub(r"([{}&%$#_])", r"\\\1", text)
    return text.replace("~", "\\textasciitilde{}").replace("^", "\\textasciicircum{}")


def cite(*, title, url, version, changed_at, as_of, accessed=None, key=None):
    """The three forms of one citation, as a dict: ``text``, ``bibtex`` and ``csl`` (a CSL-JSON list).

    ``title`` names the page or fact ("Romania: memberships"); None cites the data set
    itself. ``url`` may be None (a release's files do not know where they will be
    served). ``changed_at`` is a datetime or None; ``as_of`` the day asked about.
    """
    accessed = accessed or datetime.date.today()
    licence = settings.DATASET_LICENSE["name"]  # the licence every download states
    changed = changed_at.date() if changed_at else None
    changed_words = f", last changed {changed.isoformat()}" if changed else ""
    full_title = f"{title}, as of {as_of.isoformat()}" if title else DATASET_TITLE
    year = (changed or accessed).year
    key = key or re.sub(r"[^a-z0-9]+", "-", f"alliances {title or 'dataset'} {as_of.isoformat()}".lower()).strip("-")
    container = "" if title is None else f" In: {DATASET_TITLE}."
    where = f" {url} (accessed {accessed.isoformat()})." if url else ""
    text = f"{AUTHORS} ({year}). {full_title}.{container} Data version {version}{changed_words}.{where}"
    fields = [
        ("author", f"{{{AUTHORS}}}"),
        ("title", _bibtex_escape(full_title)),
        *([("howpublished", _bibtex_escape(DATASET_TITLE))] if title else []),
        ("year", str(year)),
        ("version", version),
        *([("url", url), ("urldate", accessed.isoformat())] if url else []),
        ("note", _bibtex_escape(f"Data version {version}{changed_words}; as of {as_of.isoformat()}; {licence}")),
    ]
    bibtex = f"@misc{{{key},\n" + ",\n".join(f"  {name} = {{{value}}}" for name, value in fields) + "\n}\n"
    item = {
        "id": key,
        "type": "dataset",
        "title": full_title,
        "author": [{"literal": AUTHORS}],
        "version": version,
        **({"URL": url, "accessed": _date_parts(accessed)} if url else {}),
        "issued": _date_parts(changed or accessed),
        "note": f"Data version {version}{changed_words}; as of {as_of.isoformat()}; licence {licence}.",
    }
    if title:
        item["container-title"] = DATASET_TITLE
    return {"text": text, "bibtex": bibtex, "csl": [item]}


def csl_json(items):
    """CSL-JSON indented for reading, with each date's parts on one line (``[[2026, 12, 7]]``)."""
    text = json.dumps(items, ensure_ascii=False, indent=1)
    return _NUMBER_LISTS.sub(lambda m: re.sub(r"\s+", "", m.group(0)).replace(",", ", "), text)


_NUMBER_LISTS = re.compile(r"\[[\s\d,\[\]]*\]")


def render(citation, fmt):
    """The body of ``citation`` in the format ``fmt`` (a key of FORMATS)."""
    if fmt == "bibtex":
        return citation["bibtex"]
    if fmt == "csl-json":
        return csl_json(citation["csl"]) + "\n"
    return citation["text"] + "\n"


RELEASE_FILES = {"CITATION.txt": "text", "CITATION.bib": "bibtex", "citation.csl.json": "csl-json"}


def write_release_files(directory, *, version, changed_at, day):
    """The data set's citation in a release: one file per format, named in RELEASE_FILES."""
    found = cite(title=None, url=None, version=version, changed_at=changed_at, as_of=day, accessed=day)
    for name, fmt in RELEASE_FILES.items():
        (directory / name).write_text(render(found, fmt), encoding="utf-8")
    return sorted(RELEASE_FILES)
