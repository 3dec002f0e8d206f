"""The ASGI application: `service.app:app`, or `create_app()` for tests and embedding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api import cds_hooks, errors, fhir, fhir_server, health, metrics, smart_app
from service.api.paths import PathCourtesyMiddleware
from service.api.request_log import RequestLogMiddleware
from service.mappers.provenance import service_version
from service.runtime import Runtime
from service.settings import Settings
from service.terminology import Terminology, load_terminology


def create_app(settings: Settings | None = None, terminology: Terminology | None = None) -> FastAPI:
    """Build the app; the terminology is loaded now, so a broken profiles/ fails at start."""
    settings = settings or Settings()
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
    cds_hooks.install(app)
    smart_app.install(app)
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(PathCourtesyMiddleware)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the runtime (database, pooled FHIR client) at start; close it at stop."""
    runtime: Runtime = app.state.runtime
    await runtime.start()
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
