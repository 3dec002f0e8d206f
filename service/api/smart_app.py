"""The SMART on FHIR clinician app: its static files at `/app`, and the two calls it makes here.

The app (`service/webapp/`, docs/SMART_APP.md) runs in the clinician's browser with the
clinician's token, which never reaches this service: the browser reads the patient's
data from the EHR, posts it to `POST /fhir/$oms-assess`, and, to save, asks
`POST /fhir/$oms-write-back` for the transaction to send to the EHR itself.

`$oms-write-back` answers with the transaction that `Patient/{id}/$oms-assess?persist=true`
would execute (the use case `service.usecases.app_write_back`); this module checks the
`author` and translates HTTP.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from service.api.body import read_limited, require_json
from service.api.deps import SettingsDep, TerminologyDep
from service.api.responses import (
    FhirJsonResponse,
    fhir_responses,
    openapi_json_body,
    resource_schema,
)
from service.errors import UnprocessablePayload
from service.fhir_json import FHIR_ID
from service.usecases.app_write_back import write_back_transaction

WEBAPP_DIR: Final = Path(__file__).resolve().parent.parent / "webapp"
READ_SCOPES: Final = "patient/Patient.rs patient/Condition.rs patient/Observation.rs"
WRITE_SCOPES: Final = "patient/RiskAssessment.c patient/CarePlan.c patient/Provenance.c"
#: `fhirUser` as the app sends it: `Practitioner/123`, the type one SMART allows.
_FHIR_USER: Final = re.compile(
    rf"^(Practitioner|PractitionerRole|Patient|RelatedPerson|Person)/{FHIR_ID}$"
)

router = APIRouter()


def install(app: FastAPI) -> None:
    """Routes first, so `/app/config.json` is not looked up among the static files."""
    app.include_router(router)
    app.mount("/app", StaticFiles(directory=WEBAPP_DIR, html=True), name="app")


def scopes(*, standalone: bool) -> str:
    """What the app asks for: `launch` from the EHR, `launch/patient` when started alone."""
    launch = "launch/patient" if standalone else "launch"
    return f"{launch} openid fhirUser {READ_SCOPES} {WRITE_SCOPES}"


@router.get("/app/config.json", include_in_schema=False)
async def app_config(settings: SettingsDep) -> JSONResponse:
    """The client id and scopes, so a deployment changes them by environment alone."""
    return JSONResponse(
        {
            "clientId": settings.smart_client_id,
            "scope": scopes(standalone=False),
            "standaloneScope": scopes(standalone=True),
        },
        headers={"cache-control": "no-store"},
    )


@router.post(
    "/fhir/$oms-write-back",
    response_class=FhirJsonResponse,
    responses=fhir_responses("Bundle"),
    openapi_extra=openapi_json_body(resource_schema("Bundle")),
)
async def oms_write_back(
    request: Request,
    settings: SettingsDep,
    terminology: TerminologyDep,
    author: Annotated[str | None, Query()] = None,
) -> FhirJsonResponse:
    """Assess the posted Bundle; answer with the idempotent transaction storing the results.

    `author`: the clinician saving (`fhirUser`, e.g. `Practitioner/123`), named in the
    Provenance beside the service.
    """
    if author is not None and not _FHIR_USER.match(author):
        raise UnprocessablePayload(
            "author must be a reference such as Practitioner/123", code="value"
        )
    require_json(request)
    body = await read_limited(request, settings.max_body_bytes)
    bundle = await write_back_transaction(
        body, terminology, max_entries=settings.max_entries, author=author
    )
    return FhirJsonResponse(bundle)
