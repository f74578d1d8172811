"""Limit B: a plain Django view, one hand-written SQL query, JSON out (no DRF, no ORM).

The query uses the same indexed range condition as the product (PostgreSQL), so
at scale it is as good a query as one could write by hand.

Served with the product's own settings and middleware (bench.limit_b_settings),
so the difference to the product is DRF, the ORM, serializers and caching.
"""

import json

from django.db import connection
from django.http import HttpResponse
from django.urls import path

SQL = """
SELECT o.slug, o.acronym, o.name, m.status, m.founding, m.start_date, m.end_date
FROM alliances_membership m
JOIN alliances_organization o ON o.id = m.organization_id
JOIN alliances_country c ON c.id = m.country_id
WHERE c.iso2 = %s AND m.status = 'member' AND daterange(m.start_date, m.end_date, '[]') @> %s::date
ORDER BY o.acronym
"""


def romania(request):
    day = request.GET.get("as_of", "2021-12-30")
    with connection.cursor() as cursor:
        cursor.execute(SQL, ["RO", day])
        rows = cursor.fetchall()
    results = [
        {
            "organization": {"slug": slug, "acronym": acronym, "name": name},
            "status": status,
            "founding": bool(founding),
            "start_date": str(start),
            "end_date": str(end) if end else None,
        }
        for slug, acronym, name, status, founding, start, end in rows
    ]
    body = json.dumps(
        {"country": {"iso2": "RO", "name": "Romania"}, "as_of": day, "count": len(results), "results": results}
    )
    return HttpResponse(body, content_type="application/json")


urlpatterns = [path("limit-b/romania/", romania)]
