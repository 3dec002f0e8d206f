"""Every kept resource -> the facts the rules read: evidence, OMS diagnoses, and what the
rationale must mention (OMS codes outside a Condition, dates after the assessment)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from service.domain.course import OmsCondition
from service.domain.evidence import Diagnosis, Evidence
from service.intake import KeptResource
from service.mappers.condition import read_condition
from service.mappers.observation import read_observation
from service.mappers.reading import Reading
from service.mappers.report import read_reason, read_report
from service.mappers.timing import PatientClock
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
        reading = _READERS.get(item.resource.get("resourceType"), read_reason)(
            item, terminology, clock
        )
        evidence += reading.evidence
        if reading.diagnosis is not None:
            diagnoses.append(reading.diagnosis)
        if reading.oms_condition is not None:
            oms.append(reading.oms_condition)
        if reading.mentions_oms:
            mentions[item.reference] = None
        for element in reading.skipped:
            future[item.reference, element] = None
    return Facts(tuple(evidence), tuple(diagnoses), tuple(mentions), tuple(future), tuple(oms))


#: The reader of each kept type; anything else kept is a request, read for its reason.
_READERS: Final[Mapping[object, Callable[[KeptResource, Terminology, PatientClock], Reading]]] = {
    "Condition": read_condition,
    "Observation": read_observation,
    "DiagnosticReport": read_report,
}
