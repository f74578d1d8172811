"""Limit A: the fastest answer this gunicorn can give, a WSGI callable with a fixed JSON body.

The body has the size of the product's Romania answer (BENCH_BODY_BYTES), so
the difference to the product is everything Django, DRF and the database add.
"""

import json
import os

SIZE = int(os.environ.get("BENCH_BODY_BYTES", "2000"))
_filler = "x" * max(0, SIZE - len(json.dumps({"padding": ""})))
BODY = json.dumps({"padding": _filler}).encode()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
