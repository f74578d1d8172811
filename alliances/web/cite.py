"""The "Cite this" block of the public pages, and the natural-key permalink of one period.

A period's permalink is ``/countries/<state>/<organization>/<start>/``: the
period's natural key (the key of ``fixtures/``), with the start as far as it is
known (``2004-03-29``, ``1996-06`` or ``1996``). Database ids change when the
fixtures are loaded again; this URL does not.
"""

from django.urls import reverse

from alliances.opendata import citation


def country_slug(country):
    return (getattr(country, "code", "") or country.iso2).lower()


def fact_path(membership):
    """The permalink of one period (its natural key)."""
    return reverse(
        "web:fact", args=[country_slug(membership.country), membership.organization.slug, membership.start_text]
    )


def cite_path(page_path):
    """The citation endpoint of a page: the page's path followed by ``cite/``."""
    return page_path + "cite/"


def block(request, *, title, page_path, as_of, version):
    """Context of the "Cite this" include: the citation in three forms, the version and its last change.

    ``page_path`` is the canonical path of the cited page; the citation's URL carries
    ``as_of`` when it is not today, so following it shows what was cited.
    """
    changed_at = citation.version_changed_at(version)
    query = f"?as_of={as_of.isoformat()}" if request.GET.get("as_of") else ""
    found = citation.cite(
        title=title,
        url=request.build_absolute_uri(page_path) + query,
        version=version,
        changed_at=changed_at,
        as_of=as_of,
    )
    endpoint = cite_path(page_path)
    suffix = f"&as_of={as_of.isoformat()}" if query else ""
    # Keys a template can name (no hyphen): text, bibtex, csl.
    links = {fmt.split("-")[0]: f"{endpoint}?format={fmt}{suffix}" for fmt in citation.FORMATS}
    return {
        "text": found["text"],
        "bibtex": found["bibtex"],
        "csl": citation.csl_json(found["csl"]),
        "links": links,
        "version": version,
        "changed_at": changed_at,
    }
