"""The whole assessment, bytes to result Bundle: intake -> evidence -> criteria -> FHIR.

Shared by `POST /fhir/$oms-assess`, the CLI and (later) CDS Hooks and the FHIR-server
path, so every entry point gives the same answer for the same data. Synchronous and
CPU-bound: async callers run it in a worker thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from service.domain.course import Course, follow_course
from service.domain.criteria import Assessment, CriterionStatus, RiskLevel, assess
from service.domain.dates import parse_date
from service.domain.evidence import Evidence
from service.domain.onset import age_at_onset
from service.fhir_json import Json
from service.intake import DEFAULT_MAX_ENTRIES, IngestResult, read_body
from service.mappers.care_plan import build_care_plan, plan_for
from service.mappers.evidence import Facts, read_facts
from service.mappers.provenance import build_provenance
from service.mappers.risk_assessment import Circumstances, build_risk_assessment
from service.mappers.timing import patient_clock
from service.mappers.track import Track, select_track
from service.mappers.treatment import treatment_of
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
    track: Track | None = None
    #: The course of treatment (certain and high only: the checklist follows it).
    course: Course | None = None
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
    ingested = read_body(body, terminology, max_entries=max_entries)
    return assess_ingested(ingested, terminology, now=now, urn=urn)


def assess_ingested(
    ingested: IngestResult,
    terminology: Terminology,
    *,
    now: Callable[[], str] = utc_now,
    urn: Callable[[], str] = new_urn,
) -> AssessmentResult:
    """Assess resources already ingested (the FHIR-server path ingests its own reads)."""
    timestamp = now()
    clock = patient_clock(
        ingested.birth_date, ingested.deceased, parse_date(timestamp) or date.today()
    )
    facts = read_facts(ingested.kept, terminology, clock)
    assessment = assess(
        terminology.criteria,
        facts.evidence,
        diagnoses=facts.diagnoses,
        neurological_signs=terminology.neurological_signs,
        warrants_work_up_alone=terminology.warrants_work_up_alone,
    )
    track = select_track(
        terminology, age_at_onset(assessment, terminology.neurological_signs, clock.age_today)
    )
    ra_urn, cp_urn, prov_urn = urn(), urn(), urn()
    course = (
        _course(ingested, facts, assessment, terminology, clock.today.last)
        if assessment.risk in (RiskLevel.CERTAIN, RiskLevel.HIGH)
        else None
    )

    circumstances = Circumstances(
        clock,
        track,
        ingested.incomplete,
        facts.oms_mentions,
        facts.future_dates,
        None if course is None else course.relapse_since,
    )
    risk_assessment = build_risk_assessment(
        assessment, terminology, ingested.patient, timestamp, circumstances
    )
    plan = plan_for(assessment.risk)
    care_plan = (
        None
        if plan is None
        else build_care_plan(
            plan,
            terminology,
            risk_assessment,
            ra_urn,
            ingested.patient,
            timestamp,
            track,
            course,
            ingested.unclassified_medications if course is not None else 0,
        )
    )
    targets = [ra_urn] if care_plan is None else [ra_urn, cp_urn]
    used = () if course is None else (r for item in course.items for r in item.references)
    provenance = build_provenance(targets, [*assessment.basis, *used], timestamp)

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
        evidence=facts.evidence,
        risk_assessment=risk_assessment,
        care_plan=care_plan,
        provenance=provenance,
        bundle=bundle,
        track=track,
        course=course,
        entry_count=ingested.entry_count,
        kept_count=len(ingested.kept),
    )


def _course(
    ingested: IngestResult,
    facts: Facts,
    assessment: Assessment,
    terminology: Terminology,
    today: date,
) -> Course:
    """What was given in this episode and before, for the checklist to follow."""
    tumour = {
        item.reference
        for result in assessment.results
        if result.criterion in terminology.tumour_criteria and result.status is CriterionStatus.MET
        for item in result.evidence
    }
    treatments = [
        t for kept in ingested.treatments if (t := treatment_of(kept, terminology, tumour))
    ]
    dated = [(e.criterion, e.recorded) for e in facts.evidence if e.present and e.recorded]
    return follow_course(
        terminology.treatment.tracked,
        treatments,
        conditions=facts.oms_conditions,
        sign_dates=[when for c, when in dated if c in terminology.neurological_signs],
        evidence_dates=[when for _, when in dated]
        + [d.recorded for d in facts.diagnoses if d.recorded],
        today=today,
    )
