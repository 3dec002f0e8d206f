"""Every kept resource -> the facts the rules read: evidence, OMS diagnoses, and what the
rationale must mention (OMS codes outside a Condition, dates after the assessment)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.domain.course import OmsCondition
from service.domain.evidence import Diagnosis, Evidence
from service.ingest import KeptResource
from service.mappers import condition, observation, report
from service.mappers.timing import PatientClock, condition_timing, observation_timing
from service.terminology import Terminology


@dataclass(frozen=True, slots=True)
class Facts:
    """`oms_mentions`: references of Observations and reports that carry an OMS code (no
    recorded diagnosis); `future_dates`: (reference, element) of dates after the
    assessment, skipped."""

    evidence: tuple[Evidence, ...]
    diagnoses: tuple[Diagnosis, ...]
    oms_mentions: tuple[str, ...]
    future_dates: tuple[tuple[str, str], ...]
    #: The OMS Conditions with the dates that place relapses and remissions.
    oms_conditions: tuple[OmsCondition, ...] = ()


def read_facts(
    kept: Iterable[KeptResource], terminology: Terminology, clock: PatientClock
) -> Facts:
    evidence: list[Evidence] = []
    diagnoses: list[Diagnosis] = []
    mentions: dict[str, None] = {}
    future: dict[tuple[str, str], None] = {}
    oms: list[OmsCondition] = []
    for item in kept:
        resource_type = item.resource.get("resourceType")
        diagnosis: Diagnosis | None = None
        if resource_type == "Condition":
            evidence += condition.condition_evidence(item, terminology, clock)
            diagnosis = condition.condition_diagnosis(item, terminology, clock)
            skipped = condition_timing(item.resource, clock).skipped
            if diagnosis is not None:
                oms.append(condition.oms_condition(item.resource))
        elif resource_type == "Observation":
            evidence += observation.observation_evidence(item, terminology, clock)
            if observation.records_oms(item, terminology):
                mentions[item.reference] = None
            skipped = observation_timing(item.resource, clock).skipped
        elif resource_type == "DiagnosticReport":
            evidence += report.report_evidence(item, terminology, clock)
            if report.report_records_oms(item, terminology):
                mentions[item.reference] = None
            skipped = observation_timing(item.resource, clock).skipped
        else:
            evidence += report.reason_evidence(item, terminology, clock)
            diagnosis = report.reason_diagnosis(item, terminology, clock)
            skipped = ()
        if diagnosis is not None:
            diagnoses.append(diagnosis)
        for element in skipped:
            future[item.reference, element] = None
    return Facts(tuple(evidence), tuple(diagnoses), tuple(mentions), tuple(future), tuple(oms))
