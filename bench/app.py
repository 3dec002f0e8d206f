"""The service app plus one bare route, for the benchmarks only (never in the service).

`POST /bench/parse` reads the body the same way `$oms-assess` does (admission, size-limited
read, then on the event loop or in a worker thread by the body's size: `usecases.cpu`)
and only parses it with orjson: the floor that the service's throughput is compared with.
"""

from __future__ import annotations

from functools import partial

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from service.api.body import read_limited
from service.app import create_app
from service.settings import Settings
from service.usecases.cpu import run_cpu


def create_bench_app() -> FastAPI:
    settings = Settings()
    app = create_app(settings)

    @app.post("/bench/parse")
    async def parse_only(request: Request) -> Response:
        body = await read_limited(request, settings.max_body_bytes)
        document = await run_cpu(partial(orjson.loads, body), size=len(body))
        return Response(orjson.dumps({"parsed": type(document).__name__}))

    return app
