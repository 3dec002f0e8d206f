"""The OMS diagnostic rule (Genoa 2004 / Matthay 2005): 3 of 4 criteria.

Pure Python on purpose: the rule is tested without FHIR, and the criteria themselves
(their codes and order) come from the CodeSystem in `profiles/`, not from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from service.domain.evidence import Evidence


class CriterionStatus(StrEnum):
    """Codes of CodeSystem oms-criterion-status."""

    MET = "met"
    NOT_MET = "not-met"
    UNKNOWN = "unknown"


class RiskLevel(StrEnum):
    """Codes of http://terminology.hl7.org/CodeSystem/risk-probability used here."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion's status and the evidence that decided it.

    For `met` that is the present evidence, for `not-met` the absent evidence, for
    `unknown` nothing.
    """

    criterion: str
    status: CriterionStatus
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome for one patient.

    `basis` holds the reference of every counted piece of evidence (the evidence of
    all results), each once, in criteria order then input order. `preliminary` is
    true when any counted evidence is preliminary.
    """

    results: tuple[CriterionResult, ...]
    risk: RiskLevel
    preliminary: bool
    met_count: int
    basis: tuple[str, ...]

    def result_for(self, criterion: str) -> CriterionResult:
        for result in self.results:
            if result.criterion == criterion:
                return result
        raise KeyError(criterion)

    def rationale(self, displays: Mapping[str, str] | None = None) -> str:
        """One line for `prediction.rationale`, e.g. "3 of 4 criteria met: ...; unknown: ...".

        `displays` maps criterion codes to the words shown (the CodeSystem displays);
        a code without a display is shown as is.
        """
        names = displays or {}

        def listed(status: CriterionStatus) -> str:
            return ", ".join(
                names.get(r.criterion, r.criterion) for r in self.results if r.status is status
            )

        head = f"{self.met_count} of {len(self.results)} criteria met"
        if met := listed(CriterionStatus.MET):
            head = f"{head}: {met}"
        parts = [head]
        if not_met := listed(CriterionStatus.NOT_MET):
            parts.append(f"not met: {not_met}")
        if unknown := listed(CriterionStatus.UNKNOWN):
            parts.append(f"unknown: {unknown}")
        return "; ".join(parts)


def assess(criteria: Sequence[str], evidence: Iterable[Evidence]) -> Assessment:
    """Decide each criterion and the overall risk from the evidence.

    `criteria` gives the criteria and their order (the CodeSystem order). Evidence for
    a criterion not in `criteria` is a programming error and raises ValueError, as do
    repeated criteria. Identical evidence (same criterion, polarity, preliminary flag
    and reference) counts once.
    """
    if len(set(criteria)) != len(criteria):
        raise ValueError("criteria must not repeat")
    by_criterion: dict[str, list[Evidence]] = {code: [] for code in criteria}
    for item in dict.fromkeys(evidence):
        bucket = by_criterion.get(item.criterion)
        if bucket is None:
            raise ValueError(f"evidence for unknown criterion {item.criterion!r}")
        bucket.append(item)

    results = tuple(_decide(code, by_criterion[code]) for code in criteria)
    counted = [item for result in results for item in result.evidence]
    met = sum(result.status is CriterionStatus.MET for result in results)
    unknown = sum(result.status is CriterionStatus.UNKNOWN for result in results)
    return Assessment(
        results=results,
        risk=_risk(met, unknown),
        preliminary=any(item.preliminary for item in counted),
        met_count=met,
        basis=tuple(dict.fromkeys(item.reference for item in counted)),
    )


def _decide(criterion: str, evidence: Sequence[Evidence]) -> CriterionResult:
    present = tuple(item for item in evidence if item.present)
    if present:
        return CriterionResult(criterion, CriterionStatus.MET, present)
    absent = tuple(item for item in evidence if not item.present)
    if absent:
        return CriterionResult(criterion, CriterionStatus.NOT_MET, absent)
    return CriterionResult(criterion, CriterionStatus.UNKNOWN, ())


def _risk(met: int, unknown: int) -> RiskLevel:
    if met >= 3:
        return RiskLevel.HIGH
    if met == 2 and unknown >= 1:
        return RiskLevel.MODERATE
    return RiskLevel.LOW
