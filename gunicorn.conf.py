"""gunicorn settings for production: `make serve` or `gunicorn -c gunicorn.conf.py config.wsgi`.

Sync workers, one per core plus one: the API's work is short database reads,
and persistent database connections (CONN_MAX_AGE) make each worker cheap.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")

# Sync workers read a request whole before answering: a client that sends its headers slowly
# holds a worker the whole time (two such connections made a normal read wait 30 s). A buffering
# proxy in front (deploy/nginx/) reads slow clients for them. So gunicorn serves beyond this machine
# only behind one (TRUSTED_PROXY_COUNT, which such a deployment sets anyway), or when told to.
_host = bind.rsplit(":", 1)[0].strip("[]") if not bind.startswith("unix:") else "localhost"
if (
    _host not in ("127.0.0.1", "localhost", "::1")
    and int(os.environ.get("TRUSTED_PROXY_COUNT", "0") or 0) < 1
    and os.environ.get("ALLOW_DIRECT_BIND") != "1"
):
    raise SystemExit(
        f"Refusing to bind {bind} with no proxy in front: slow clients would hold the sync workers. "
        "Put nginx in front (deploy/nginx/) and set TRUSTED_PROXY_COUNT=1, or set ALLOW_DIRECT_BIND=1 "
        "if you accept that risk."
    )
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"

# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl),
# so a second instance (a benchmark beside `make serve`) would take over the first's.
# One socket per bind address, in the runtime directory, unless one is named.
_runtime_dir = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET",
    os.path.join(_runtime_dir, "alliances-gunicorn-" + "".join(c if c.isalnum() else "-" for c in bind) + ".ctl"),
)
