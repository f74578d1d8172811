"""A private nginx running deploy/nginx/alliances.conf.template, for the tests and the benchmark.

The template is rendered with a listen address, the upstream and a cache
directory, then included in a minimal main configuration whose every path
(pid, error log, temporary files) is in a directory of its own, and nginx runs
in the foreground as a child of the caller (`nginx -p DIR -c nginx.conf`). The
system's nginx, its configuration and port 80 are never touched.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "deploy" / "nginx" / "alliances.conf.template"

MAIN_CONF = """\
daemon off;
{user}worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/alliances.conf;
}}
"""


def nginx_binary():
    """Debian installs nginx in /usr/sbin, which a non-root PATH often leaves out."""
    found = shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    return found


def render(listen, upstream, cache_path):
    """The template with its three variables filled in, as envsubst would (docs/scale-out.md)."""
    text = TEMPLATE.read_text()
    values = {"ALLIANCES_LISTEN": listen, "ALLIANCES_UPSTREAM": upstream, "ALLIANCES_CACHE_PATH": cache_path}
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    left = re.findall(r"\$\{\w+\}", text)
    if left:
        raise ValueError(f"{TEMPLATE} has variables render() does not fill: {left}")
    return text


class Nginx:
    """nginx on 127.0.0.1:``port`` in front of ``upstream`` ("host:port"), files under ``directory``."""

    def __init__(self, directory, port, upstream, workers=1):
        self.dir = Path(directory)
        self.port = port
        self.upstream = upstream
        self.workers = workers
        self.process = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout=10):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "alliances.conf").write_text(render(f"127.0.0.1:{self.port}", self.upstream, self.dir / "cache"))
        # As root, nginx's workers would run as "nobody", who cannot enter a private directory.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(MAIN_CONF.format(user=user, workers=self.workers, dir=self.dir))
        command = [binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "error.log")]
        with (self.dir / "stderr.log").open("w") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.dir / 'stderr.log').read_text()}{self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on {self.port} within {timeout} s: {self.error_log()}")

    def error_log(self):
        path = self.dir / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
