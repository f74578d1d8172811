"""gunicorn settings for production: `make serve` or `gunicorn -c gunicorn.conf.py config.wsgi`.

Sync workers, one per core plus one: the API's work is short database reads,
and persistent database connections (CONN_MAX_AGE) make each worker cheap.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
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
