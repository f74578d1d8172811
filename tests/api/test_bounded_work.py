"""Every request costs a bounded amount of work, whatever its parameters.

A repeated ``member_of`` once added a subquery per repeat: 200 repeats made PostgreSQL
plan a 200-way join for seconds. Repeats are now dropped, and more than
``MAX_IDENTIFIERS`` distinct values is a 400 with a JSON body.
"""

import re

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from alliances.api.filtersets import MAX_IDENTIFIERS
from alliances.models import Organization

pytestmark = pytest.mark.django_db

API = "/api/v1/countries/"
CURSOR_NAME = re.compile(r"_django_curs_\d+_(a?sync)_\d+")
# The SQL path (search, CSV, the browsable API) and the read model's path (plain JSON).
VARIANTS = ["format=json", "format=csv", "format=api", "search=a", "format=csv&search=a"]


def sql_of(url):
    # Computed, not served from the response cache: repeats of a set parameter are one cache key
    # (alliances/platform/readkey.py), so the repeated request would otherwise cost no SQL at all.
    caches[settings.RESPONSE_CACHE_ALIAS].clear()
    client = APIClient(raise_request_exception=False)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code, body[:300])
    # On PostgreSQL a streamed CSV reads through a named cursor whose name counts the connection's cursors.
    statements = [
        CURSOR_NAME.sub("_django_curs_N", q["sql"]) for q in queries.captured_queries if "alliances_country" in q["sql"]
    ]
    # The answer's rows: JSON pages and the browsable API echo the query in their links.
    if "format=json" in url or "format" not in url:
        body = response.json()["results"]
    elif "format=api" in url:
        body = None
    return body, statements


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("param", ["member_of", "not_member_of"])
def test_a_repeated_organization_costs_what_one_does(variant, param):
    sql_of(f"{API}?{variant}&{param}=nato")  # builds what every request of this kind shares (the read model)
    once, once_sql = sql_of(f"{API}?{variant}&{param}=eu")
    repeated, repeated_sql = sql_of(f"{API}?{variant}&" + "&".join([f"{param}=eu"] * 200))
    assert repeated == once
    assert repeated_sql == once_sql  # the same statements: no subquery per repeat


def test_spellings_of_one_organization_count_once():
    assert sql_of(f"{API}?format=csv&member_of=eu&member_of=EU&member_of=European+Union") == sql_of(
        f"{API}?format=csv&member_of=eu"
    )


@pytest.mark.parametrize("param", ["member_of", "not_member_of"])
def test_more_distinct_values_than_the_bound_is_a_400_naming_the_parameter(param):
    values = "&".join(f"{param}=org{n}" for n in range(MAX_IDENTIFIERS + 1))
    response = APIClient(raise_request_exception=False).get(f"{API}?{values}")
    assert response.status_code == 400
    assert f"At most {MAX_IDENTIFIERS} different values" in response.json()[param][0]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_worst_query_the_countries_list_accepts_answers(variant, django_assert_max_num_queries):
    """Every organization in both lists (up to the bound), every status: one page, a bounded number of queries."""
    slugs = list(Organization.objects.order_by("slug").values_list("slug", flat=True)[:MAX_IDENTIFIERS])
    params = "&".join([f"member_of={s}" for s in slugs] + [f"not_member_of={s}" for s in reversed(slugs)])
    url = f"{API}?{variant}&{params}&status=all&as_of=1990-10-02"
    with django_assert_max_num_queries(25):
        response = APIClient(raise_request_exception=False).get(url)
    assert response.status_code == 200
