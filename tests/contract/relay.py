"""A TCP relay on 127.0.0.1 that counts the connections made through it to a real server.

Bytes are passed through untouched in both directions (keep-alive included), so the
server and the client see each other as they are; only the count is added. For tests
of connection reuse, which must count sockets, not requests.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.loopback import SocketListener, close_socket


class CountingRelay(SocketListener):
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        super().__init__()
        self.upstream = (upstream_host, upstream_port)
        self.connections = 0

    def _accepted(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream, timeout=30)
        with self._lock:
            self.connections += 1
        self._track(client, upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy until either side closes, then close both."""
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    close_socket(source)
    close_socket(sink)
