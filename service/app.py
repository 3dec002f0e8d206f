"""The ASGI application: `service.app:app`, or `create_app()` for tests and embedding.

Everything that lives for the process is built here, once: validated settings, logging,
the runtime (terminology, storage, the pooled FHIR client: `service.runtime`), the
admission limits; the lifespan starts the runtime and then freezes the start-up heap
(`service.heap`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service import heap
from service.admission import Limits
from service.api import cds_hooks, errors, fhir, fhir_server, health, metrics, smart_app
from service.api.admission import AdmissionMiddleware
from service.api.paths import PathCourtesyMiddleware
from service.api.request_log import RequestLogMiddleware
from service.logs import configure_logging
from service.mappers.provenance import service_version
from service.runtime import Runtime
from service.settings import Settings, checked, load_settings
from service.terminology import Terminology, load_terminology


def create_app(settings: Settings | None = None, terminology: Terminology | None = None) -> FastAPI:
    """Build the app; the terminology is loaded now, so a broken profiles/ fails at start.

    Settings that do not validate raise InvalidSetting (one line naming the variable),
    whether read from the environment here or passed in.
    """
    settings = checked(settings) if settings is not None else load_settings()
    configure_logging(settings.log_level)
    terminology = terminology or load_terminology(settings.profiles_dir)

    app = FastAPI(
        title="oms-cds",
        summary="FHIR R4 decision support for opsoclonus myoclonus syndrome",
        version=service_version(),
        redirect_slashes=False,
        lifespan=_lifespan,
    )
    app.state.runtime = Runtime.build(settings, terminology)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(fhir.router)
    app.include_router(fhir_server.router)
    # Added before cds_hooks.install adds /cds-services' CORS, so CORS wraps it: a browser
    # can read its 503, and preflights are never held back. Inside the request log and
    # the metrics, so its 503s are logged and counted like any answer.
    app.add_middleware(
        AdmissionMiddleware,
        limits=Limits(settings.max_concurrent_requests, settings.max_bytes_in_flight),
        wait=settings.admission_wait_seconds,
        max_body_bytes=settings.max_body_bytes,
    )
    cds_hooks.install(app)
    smart_app.install(app)
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(PathCourtesyMiddleware)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the runtime (database, pooled FHIR client) at start, then freeze the start-up
    heap out of the collector's sight (`heap.settle`); close the runtime at stop."""
    runtime: Runtime = app.state.runtime
    await runtime.start()
    heap.settle()
    try:
        yield
    finally:
        await runtime.stop()


def __getattr__(name: str) -> FastAPI:
    """`service.app:app` builds the default app on first use, not at import."""
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
