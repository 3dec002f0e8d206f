"""FastAPI dependencies as Annotated aliases: a route's share of the app's `Runtime`.

Everything here was built once, at start-up (`service.runtime`); a dependency only
hands it to the route. Each is `async def` because it never blocks: FastAPI runs a plain
`def` dependency in its thread pool, and the three hops to a worker thread and back
that `$oms-assess` made before reading a byte cost 0.8-1.2 ms on the bench machine
(bench/RESULTS.md, "HTTP overhead of `$oms-assess`").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.clients.fhir import FhirClient
from service.runtime import Runtime
from service.settings import Settings
from service.storage import Storage
from service.terminology import Terminology


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_terminology(runtime: RuntimeDep) -> Terminology:
    return runtime.terminology


async def get_storage(runtime: RuntimeDep) -> Storage:
    return runtime.storage


async def fhir_client(runtime: RuntimeDep) -> FhirClient:
    """The app's pooled client of `OMS_FHIR_BASE_URL`; 501 when none is configured."""
    return runtime.fhir_client()


SettingsDep = Annotated[Settings, Depends(get_settings)]
TerminologyDep = Annotated[Terminology, Depends(get_terminology)]
StorageDep = Annotated[Storage, Depends(get_storage)]
FhirClientDep = Annotated[FhirClient, Depends(fhir_client)]
