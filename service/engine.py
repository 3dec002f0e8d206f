"""The whole assessment, bytes to result Bundle: ingest -> evidence -> criteria -> FHIR.

Shared by `POST /fhir/$oms-assess`, the CLI and (later) CDS Hooks and the FHIR-server
path, so every entry point gives the same answer for the same data. Synchronous and
CPU-bound: async callers run it in a worker thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from service.domain.criteria import Assessment, assess
from service.domain.dates import parse_date
from service.domain.evidence import Evidence
from service.fhir_json import Json
from service.ingest import DEFAULT_MAX_ENTRIES, IngestResult, ingest, ingest_document
from service.mappers.care_plan import build_care_plan, plan_for
from service.mappers.condition import condition_diagnosis, condition_evidence
from service.mappers.observation import observation_evidence
from service.mappers.provenance import build_provenance
from service.mappers.risk_assessment import build_risk_assessment
from service.terminology import Terminology


def utc_now() -> str:
    """Now as a FHIR instant with seconds precision and an explicit UTC offset."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    """What one assessment produced: the domain answer and its FHIR form."""

    patient: str
    assessment: Assessment
    evidence: tuple[Evidence, ...]
    risk_assessment: Json
    care_plan: Json | None
    provenance: Json
    bundle: Json
    #: Entries in the request and candidate resources kept (for logs; no patient data).
    entry_count: int = 0
    kept_count: int = 0


def assess_payload(
    body: bytes,
    terminology: Terminology,
    *,
    now: Callable[[], str] = utc_now,
    urn: Callable[[], str] = new_urn,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> AssessmentResult:
    """Assess the request body (a Bundle or a Parameters with a `bundle` part)."""
    ingested = ingest(body, terminology, max_entries=max_entries)
    return assess_ingested(ingested, terminology, now=now, urn=urn)


def assess_document(
    document: object,
    terminology: Terminology,
    *,
    now: Callable[[], str] = utc_now,
    urn: Callable[[], str] = new_urn,
) -> AssessmentResult:
    """Assess a payload already parsed into JSON objects (gathered by the CDS path)."""
    return assess_ingested(ingest_document(document, terminology), terminology, now=now, urn=urn)


def assess_ingested(
    ingested: IngestResult,
    terminology: Terminology,
    *,
    now: Callable[[], str] = utc_now,
    urn: Callable[[], str] = new_urn,
) -> AssessmentResult:
    """Assess resources already ingested (the FHIR-server path ingests its own reads)."""
    timestamp = now()
    birth, today = parse_date(ingested.birth_date), parse_date(timestamp)
    evidence = tuple(
        [
            e
            for kept in ingested.conditions
            for e in condition_evidence(kept, terminology, birth, today)
        ]
        + [
            e
            for kept in ingested.observations
            for e in observation_evidence(kept, terminology, birth, today)
        ]
    )
    diagnoses = [
        d
        for kept in ingested.conditions
        if (d := condition_diagnosis(kept, terminology)) is not None
    ]
    assessment = assess(
        terminology.criteria,
        evidence,
        diagnoses=diagnoses,
        neurological_signs=terminology.neurological_signs,
        warrants_work_up_alone=terminology.warrants_work_up_alone,
    )
    ra_urn, cp_urn, prov_urn = urn(), urn(), urn()

    risk_assessment = build_risk_assessment(
        assessment, terminology, ingested.patient, timestamp, ingested.birth_date
    )
    plan = plan_for(assessment.risk)
    care_plan = (
        None
        if plan is None
        else build_care_plan(
            plan, terminology, risk_assessment, ra_urn, ingested.patient, timestamp
        )
    )
    targets = [ra_urn] if care_plan is None else [ra_urn, cp_urn]
    provenance = build_provenance(targets, assessment.basis, timestamp)

    entries = [(ra_urn, risk_assessment)]
    if care_plan is not None:
        entries.append((cp_urn, care_plan))
    entries.append((prov_urn, provenance))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timestamp,
        "entry": [{"fullUrl": full_url, "resource": resource} for full_url, resource in entries],
    }
    return AssessmentResult(
        patient=ingested.patient,
        assessment=assessment,
        evidence=evidence,
        risk_assessment=risk_assessment,
        care_plan=care_plan,
        provenance=provenance,
        bundle=bundle,
        entry_count=ingested.entry_count,
        kept_count=len(ingested.conditions) + len(ingested.observations),
    )
