"""Small FHIR JSON builders for tests. Every code here is from shared/reference/terminology.md
or DESIGN.md; whether it counts is decided by the ValueSets in profiles/, not here."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from service.domain.dates import AgeSpan
from service.intake import IngestResult, KeptResource, read
from service.intake.body import Skeleton, skeleton_records, whole_records
from service.json_reader import read_json
from service.mappers.risk_assessment import Circumstances
from service.mappers.timing import patient_clock
from service.mappers.track import Track, select_track
from service.terminology import Terminology

Json = dict[str, Any]

SCT = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
HPO = "http://human-phenotype-ontology.org"
HPO_ALIAS = "http://purl.obolibrary.org/obo/hp.owl"
ORPHA = "http://www.orpha.net"
LOINC = "http://loinc.org"
VER_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"

PRESENT = (SCT, "52101004")
POSITIVE = (SCT, "10828004")
ABSENT = (SCT, "2667000")
NEGATIVE = (SCT, "260385009")
CLINICAL_FINDING = (SCT, "404684003")


def concept(*codings: tuple[str, str]) -> Json:
    return {"coding": [{"system": system, "code": code} for system, code in codings]}


def condition(
    *codings: tuple[str, str],
    id: str | None = "c1",
    verification: str | None = None,
    clinical: str | None = "active",
    subject: str | None = "Patient/p1",
    **extra: Any,
) -> Json:
    resource: Json = {"resourceType": "Condition", "code": concept(*codings)}
    if id is not None:
        resource["id"] = id
    if clinical is not None:
        resource["clinicalStatus"] = concept((CLINICAL_STATUS, clinical))
    if verification is not None:
        resource["verificationStatus"] = concept((VER_STATUS, verification))
    if subject is not None:
        resource["subject"] = {"reference": subject}
    return resource | extra


def observation(
    *codings: tuple[str, str],
    id: str | None = "o1",
    status: str = "final",
    subject: str | None = "Patient/p1",
    **extra: Any,
) -> Json:
    resource: Json = {"resourceType": "Observation", "status": status, "code": concept(*codings)}
    if id is not None:
        resource["id"] = id
    if subject is not None:
        resource["subject"] = {"reference": subject}
    return resource | extra


def patient(id: str | None = "p1") -> Json:
    resource: Json = {"resourceType": "Patient", "gender": "female", "birthDate": "2024-03-02"}
    if id is not None:
        resource["id"] = id
    return resource


def kept(resource: Json, index: int = 0) -> KeptResource:
    reference = f"{resource['resourceType']}/{resource.get('id', 'x')}"
    return KeptResource(resource, reference, index, f"Bundle.entry[{index}].resource")


def bundle(*resources: Json, type: str = "collection", **extra: Any) -> Json:
    return {
        "resourceType": "Bundle",
        "type": type,
        "entry": [{"resource": r} for r in resources],
    } | extra


def body(document: Any) -> bytes:
    return orjson.dumps(document)


def circumstances(terminology: Terminology, age_at_onset: AgeSpan | None = None) -> Circumstances:
    """What the rationale says besides the criteria, for a patient of unknown birth date
    assessed on 2026-11-25, on the track of `age_at_onset` (unknown: paediatric)."""
    return Circumstances(
        patient_clock(None, None, date(2026, 11, 25)), select_track(terminology, age_at_onset)
    )


def track(terminology: Terminology, age_at_onset: AgeSpan | None = None) -> Track:
    return select_track(terminology, age_at_onset)


def whole_parse(body: bytes, terminology: Terminology, max_entries: int) -> IngestResult:
    """The intake's fallback for a whole body: parsed with orjson, its records walked as
    dicts (what the differential tests compare the skeleton path with)."""
    records, bundle_head, root = whole_records(read_json(body))
    return read(records, bundle_head, root, terminology, max_entries)


def skeleton_read(skeleton: Skeleton, terminology: Terminology, max_entries: int) -> IngestResult:
    """The intake's fast path for a body msgspec decoded (`intake.body.decode_skeleton`)."""
    records, bundle_head, root = skeleton_records(skeleton)
    return read(records, bundle_head, root, terminology, max_entries)
