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
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Final

import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
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
from service.terminology import Terminology
from service.usecases.app_write_back import write_back_transaction

WEBAPP_DIR: Final = Path(__file__).resolve().parent.parent / "webapp"
#: The evidence, and the treatment record the checklist follows (Medication: a referenced one).
READ_SCOPES: Final = (
    "patient/Patient.rs patient/Condition.rs patient/Observation.rs patient/DiagnosticReport.rs"
    " patient/MedicationRequest.rs patient/MedicationAdministration.rs"
    " patient/MedicationStatement.rs patient/Medication.rs patient/Procedure.rs"
    " patient/ServiceRequest.rs"
)
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


@router.get("/app/displays.json", include_in_schema=False)
async def app_displays(terminology: TerminologyDep) -> Response:
    """Words for codes the record may send bare: `system|code` -> display; a product's
    ingredient (`ingredientOf`); the codes that record OMS itself (`diagnosis`, whose
    clinicalStatus marks relapse and remission on the timeline); the aliases and code
    spellings to normalise a coding as the service does."""
    return Response(
        _displays_document(terminology),
        media_type="application/json",
        headers={"cache-control": "max-age=3600"},
    )


@lru_cache(maxsize=4)
def _displays_document(terminology: Terminology) -> bytes:
    """Built once per terminology (it lives for the process), from every concept with a
    display in the ValueSets and CodeSystems of `profiles/`, and the product ConceptMap's
    elements and targets (loaded and checked with the terminology at start-up)."""
    displays: dict[str, str] = {}
    ingredients: dict[str, str] = {}

    def add(system: object, code: object, display: object) -> None:
        if isinstance(system, str) and isinstance(code, str) and isinstance(display, str):
            key = "|".join(terminology.normalise(system, code))
            displays.setdefault(key, display)

    for value_set in terminology.value_sets.values():
        for include in (value_set.get("compose") or {}).get("include") or []:
            for concept in include.get("concept") or []:
                add(include.get("system"), concept.get("code"), concept.get("display"))
    for url, code_system in terminology.code_systems.items():
        for concept in code_system.get("concept") or []:
            add(url, concept.get("code"), concept.get("display"))
    groups = [g for m in terminology.concept_maps.values() for g in m.get("group") or []]
    for group in groups:
        for element in group.get("element") or []:
            add(group.get("source"), element.get("code"), element.get("display"))
            for target in element.get("target") or []:
                add(group.get("target"), target.get("code"), target.get("display"))
            product = terminology.treatment.ingredient_of(group["source"], element["code"])
            if product is not None:
                source = "|".join(terminology.normalise(group["source"], element["code"]))
                ingredients[source] = "|".join(product)
    return orjson.dumps(
        {
            "displays": dict(sorted(displays.items())),
            "ingredientOf": dict(sorted(ingredients.items())),
            "diagnosis": sorted("|".join(pair) for pair in terminology.diagnosis_codes),
            "systemAliases": dict(terminology.system_aliases),
            "codeFormats": {
                system: {"ignored": f.ignored, "optionalPrefixes": list(f.optional_prefixes)}
                for system, f in terminology.code_formats.items()
            },
        }
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
