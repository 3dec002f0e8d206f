"""A tiny HTTP/1.1 fault proxy on 127.0.0.1, put between the service and a real FHIR server.

One request per connection (it sets `Connection: close` upstream, so clients do not
reuse the connection); requests must carry `Content-Length` (httpx does for the
service's bodies). What it does with each request is chosen by `mode`:

* `PASS`: forward the request, relay the answer.
* `DELAY`: forward the request, hold the answer `delay` seconds, then relay it.
* `CUT_POST_BODY`: for a POST, forward the head and half the body, then close both
  sides: the server sees a client that vanished mid-request.
* `DROP_POST_RESPONSE`: for a POST, forward it whole, wait for the server's whole
  answer (so the server has finished), then close the client without a byte.

`before_post`, if set, runs before a POST is forwarded (e.g. to kill the server).
Bounded: at most `max_connections` at once (more are closed at once), every socket
read and write times out after `io_timeout`, and `close()` releases held answers.
"""

from __future__ import annotations

import enum
import socket
import threading
from collections.abc import Callable

from tests.loopback import SocketListener, close_socket

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


class Mode(enum.Enum):
    PASS = "pass"
    DELAY = "delay"
    CUT_POST_BODY = "cut-post-body"
    DROP_POST_RESPONSE = "drop-post-response"


class FaultProxy(SocketListener):
    def __init__(
        self,
        upstream_port: int,
        *,
        delay: float = 0.0,
        max_connections: int = 32,
        io_timeout: float = 30.0,
    ) -> None:
        super().__init__(join_timeout=5)
        self.upstream_port = upstream_port
        self.mode = Mode.PASS
        self.delay = delay
        self.before_post: Callable[[], None] | None = None
        #: "METHOD path" of every request seen, in arrival order.
        self.requests: list[str] = []
        self._io_timeout = io_timeout
        self._slots = threading.BoundedSemaphore(max_connections)

    def posts(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.startswith("POST "))

    def _accepted(self, conn: socket.socket) -> None:
        if not self._slots.acquire(blocking=False):
            close_socket(conn)
            return
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        self._track(client)
        try:
            client.settimeout(self._io_timeout)
            request = _read_request(client)
            if request is None:
                return
            head, body, method = request
            with self._lock:
                self.requests.append(" ".join(head.split(b"\r\n", 1)[0].decode().split(" ")[:2]))
            is_post = method == "POST"
            if is_post and self.before_post is not None:
                self.before_post()
            upstream = socket.create_connection(
                ("127.0.0.1", self.upstream_port), timeout=self._io_timeout
            )
            self._track(upstream)
            if is_post and self.mode is Mode.CUT_POST_BODY:
                upstream.sendall(head + body[: len(body) // 2])
                return
            upstream.sendall(head + body)
            answer = _read_to_end(upstream)
            if is_post and self.mode is Mode.DROP_POST_RESPONSE:
                return
            if self.mode is Mode.DELAY and self._stop.wait(self.delay):
                return
            client.sendall(answer)
        except OSError:
            return  # a refused upstream or a client that gave up: close both, as a proxy would
        finally:
            for sock in (upstream, client):
                if sock is not None:
                    close_socket(sock)
                    self._untrack(sock)
            self._slots.release()


def _read_request(client: socket.socket) -> tuple[bytes, bytes, str] | None:
    """(head with `Connection: close`, body, method), or None if the client sent no request."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_HEAD:
            return None
    raw_head, rest = data.split(b"\r\n\r\n", 1)
    lines = raw_head.split(b"\r\n")
    method = lines[0].split(b" ", 1)[0].decode()
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        if lowered == b"transfer-encoding":
            raise OSError("chunked request bodies are not supported by this proxy")
        if lowered not in (b"connection", b"keep-alive"):
            kept.append(line)
    kept.append(b"Connection: close")
    if length > MAX_BODY:
        return None
    body = rest
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    return b"\r\n".join(kept) + b"\r\n\r\n", body[:length], method


def _read_to_end(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
