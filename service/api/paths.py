"""Two HTTP courtesies every route gets: a trailing slash is the same route, and HEAD on
a GET route answers like GET without a body.

FastAPI would answer a trailing slash with a 307 whose Location is built from the Host
header (which a client or proxy controls) and HEAD with 405; neither helps a CDS client.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class PathCourtesyMiddleware:
    """Pure ASGI, so it adds no task or buffering to the body stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
            scope["raw_path"] = scope["path"].encode()
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
