"""A plain TCP forwarder: ``python forward.py HOST PORT TARGET``, TARGET ``host:port`` or ``unix:/path``.

The outage tests run it inside a network namespace, where the only way to the
host's PostgreSQL is its Unix socket (the file system is shared, the network is not).
"""

import socket
import sys
import threading


def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def connect(target):
    if target.startswith("unix:"):
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect(target[5:])
        return upstream
    host, port = target.rsplit(":", 1)
    return socket.create_connection((host, int(port)))


def main(host, port, target):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, int(port)))
    listener.listen(50)
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        upstream = connect(target)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    main(*sys.argv[1:4])
