"""The tests' own stand-in servers on 127.0.0.1 (a relay, a fault proxy, a stub FHIR
server): started by `with`, stopped on exit with every socket they opened closed.

`Loopback` is the `with` protocol; `SocketListener` accepts connections in a thread and
hands each to `_accepted`, keeping track of the sockets it must close when stopped.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self


class Loopback:
    """`start()` on entering a `with`, `close()` on leaving it."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SocketListener(Loopback):
    """A listening socket on a free port of 127.0.0.1, accepting in a daemon thread."""

    def __init__(self, *, join_timeout: float = 10.0) -> None:
        self._join_timeout = join_timeout
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def base_url(self, path: str = "/fhir") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._join_timeout)
        self._listener.close()
        with self._lock:
            for sock in list(self._open):
                close_socket(sock)

    def _accepted(self, conn: socket.socket) -> None:
        """Handle one accepted connection (without blocking the accept loop)."""
        raise NotImplementedError

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._open.update(sockets)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._accepted(conn)


def close_socket(sock: socket.socket) -> None:
    """Shut down and close, whatever state the socket is in."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
