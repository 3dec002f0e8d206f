"""A small real FHIR server for the fast tests: HTTP/1.1 with keep-alive on 127.0.0.1.

It serves fixed resources (reads `Type/id`; searches `Type?...` answer every resource of
the type) and counts the TCP connections opened to it, which respx cannot: the tests of
connection pooling need real sockets. `before_answer(path)` runs in the handler's thread
before each answer (a barrier, for tests of concurrent calls).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from tests.loopback import Loopback

Json = dict[str, Any]


class StubFhirServer(Loopback):
    def __init__(
        self, resources: list[Json], *, before_answer: Callable[[str], None] | None = None
    ) -> None:
        self.resources = resources
        self.before_answer = before_answer
        #: TCP connections accepted, and the path of every request, in arrival order.
        self.connections = 0
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/fhir"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def answer(self, path: str) -> tuple[int, Json]:
        """The status and body for a GET of `path` (under /fhir/)."""
        with self._lock:
            self.requests.append(path)
        if self.before_answer is not None:
            self.before_answer(path)
        route, _, query = path.removeprefix("/fhir/").partition("?")
        kind, _, ident = route.partition("/")
        matches = [r for r in self.resources if r["resourceType"] == kind]
        if query or not ident:
            entries = [{"resource": r, "search": {"mode": "match"}} for r in matches]
            return 200, {"resourceType": "Bundle", "type": "searchset", "entry": entries}
        found = [r for r in matches if r.get("id") == ident]
        if not found:
            return 404, {"resourceType": "OperationOutcome", "issue": []}
        return 200, found[0]

    def connected(self) -> None:
        with self._lock:
            self.connections += 1


def _handler_for(stub: StubFhirServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a client may send many requests

        def setup(self) -> None:
            super().setup()
            stub.connected()

        def do_GET(self) -> None:
            status, body = stub.answer(self.path)
            content = orjson.dumps(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read `requests`."""

    return Handler
