"""Read one patient's data from a FHIR server: the Patient, its Conditions, its Observations.

Strategy (measured, docs/FHIR_SERVER.md): whole-patient searches first, at up to 1,000 a
page, since only they bring everything the rules read (components, contained results,
findings under any question); on HAPI the 846-Observation Synthea patient takes 0.3-0.6 s
in one page of 1,000 against 1.3-2.0 s in five of 200. A record too long for the client's
caps (entries, pages or bytes) is not refused: it is read again through code-narrowed
searches (`code`, and `value-concept` for Observations) that bring only what can be
evidence, so a patient with tens of thousands of Observations is still assessed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Final

from service.clients.fhir import Fault, FhirClient, FhirServerError
from service.errors import NotFound
from service.fhir_json import Json
from service.terminology import Terminology

#: Page size asked for: HAPI and sekmet both honour 1,000 (neither has a maximum).
PAGE_SIZE: Final = "1000"


async def patient_bundle(client: FhirClient, terminology: Terminology, patient_id: str) -> Json:
    """A collection Bundle of the patient and its Conditions and Observations.

    Raises NotFound for an unknown patient; other upstream faults as the client raises them.
    """
    try:
        patient = await client.read("Patient", patient_id)
    except NotFound:
        raise NotFound("No such Patient on the FHIR server") from None
    reference = f"Patient/{patient_id}"
    conditions, observations = await asyncio.gather(
        _search(client, terminology, "Condition", reference),
        _search(client, terminology, "Observation", reference),
    )
    return collection(client.base_url, [patient, *conditions, *observations])


async def _search(
    client: FhirClient, terminology: Terminology, resource_type: str, reference: str
) -> list[Json]:
    try:
        return await client.search(resource_type, {"patient": reference, "_count": PAGE_SIZE})
    except FhirServerError as exc:
        if exc.fault is not Fault.TOO_COSTLY:
            raise
    codes = ",".join(terminology.search_codes)
    narrowed: list[Mapping[str, str]] = [{"patient": reference, "code": codes}]
    if resource_type == "Observation":
        narrowed.append({"patient": reference, "value-concept": codes})
    found = await asyncio.gather(
        *(client.search(resource_type, {**params, "_count": PAGE_SIZE}) for params in narrowed)
    )
    return [resource for results in found for resource in results]


def collection(base_url: str, resources: Sequence[Json]) -> Json:
    """A collection Bundle with server URLs as fullUrls, each resource once."""
    entries: dict[str, Json] = {}
    for resource in resources:
        url = f"{base_url}{resource.get('resourceType')}/{resource.get('id')}"
        entries.setdefault(url, {"fullUrl": url, "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": list(entries.values())}
