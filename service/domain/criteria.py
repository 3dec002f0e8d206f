"""The OMS diagnostic rule (Genoa 2004 / Matthay 2005) and when OMS cannot be ruled out.

Pure Python on purpose: the rule is tested without FHIR, and the criteria themselves
(their codes, order and which are neurological signs) come from the CodeSystem in
`profiles/`, not from here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from service.domain.evidence import Diagnosis, Evidence


class CriterionStatus(StrEnum):
    """Codes of CodeSystem oms-criterion-status."""

    MET = "met"
    NOT_MET = "not-met"
    UNKNOWN = "unknown"


class RiskLevel(StrEnum):
    """Codes of http://terminology.hl7.org/CodeSystem/risk-probability used here."""

    CERTAIN = "certain"
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion's status and the evidence that decided it.

    For `met` that is the present evidence, for `not-met` the absent evidence, for
    `unknown` nothing. `unconfirmed`: met, but only on unconfirmed, provisional,
    differential or preliminary evidence.
    """

    criterion: str
    status: CriterionStatus
    evidence: tuple[Evidence, ...]
    unconfirmed: bool = False

    def recorded(self) -> tuple[str, str] | None:
        """The first and last date of the evidence (as recorded), or None if none has one."""
        dates = sorted(e.recorded for e in self.evidence if e.recorded)
        return (dates[0], dates[-1]) if dates else None


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome for one patient.

    `basis` holds the reference of every counted resource (the recorded diagnoses, then
    the evidence of all results), each once, in criteria order then input order.
    `preliminary` is true when a met criterion rests only on unconfirmed or preliminary
    evidence, or when OMS is only suspected (every OMS Condition provisional,
    differential or unconfirmed). `diagnoses` holds every OMS Condition counted;
    `diagnosed` says whether one of them is a diagnosis (confirmed or without status).
    """

    results: tuple[CriterionResult, ...]
    risk: RiskLevel
    preliminary: bool
    met_count: int
    basis: tuple[str, ...]
    diagnoses: tuple[Diagnosis, ...] = field(default=())

    @property
    def diagnosed(self) -> bool:
        return any(not d.preliminary for d in self.diagnoses)

    @property
    def suspected(self) -> bool:
        """OMS is recorded only as provisional, differential or unconfirmed."""
        return bool(self.diagnoses) and not self.diagnosed

    def result_for(self, criterion: str) -> CriterionResult:
        for result in self.results:
            if result.criterion == criterion:
                return result
        raise KeyError(criterion)

    def rationale(
        self,
        displays: Mapping[str, str] | None = None,
        not_met_words: Mapping[str, str] | None = None,
    ) -> str:
        """One line: "3 of 4 criteria met: A (2025-01-02), B (...); not met: C (...); ...".

        `displays` maps criterion codes to the words shown (the CodeSystem displays);
        `not_met_words` says what not met means for a criterion ("no neuroblastoma found
        so far"); a code without either is shown as is, or as "recorded absent".
        """
        names = displays or {}
        words = not_met_words or {}

        def met(result: CriterionResult) -> str:
            span = result.recorded()
            when = (
                "date not recorded"
                if span is None
                else span[0]
                if span[0] == span[1]
                else f"{span[0]} to {span[1]}"
            )
            if result.unconfirmed:
                when += ", unconfirmed"
            return f"{names.get(result.criterion, result.criterion)} ({when})"

        def listed(status: CriterionStatus) -> list[CriterionResult]:
            return [r for r in self.results if r.status is status]

        head = f"{self.met_count} of {len(self.results)} criteria met"
        if hits := listed(CriterionStatus.MET):
            head = f"{head}: {', '.join(met(r) for r in hits)}"
        parts = [head]
        if misses := listed(CriterionStatus.NOT_MET):
            parts.append(
                "not met: "
                + ", ".join(
                    f"{names.get(r.criterion, r.criterion)} "
                    f"({words.get(r.criterion, 'recorded absent')})"
                    for r in misses
                )
            )
        if unknown := listed(CriterionStatus.UNKNOWN):
            parts.append(
                "unknown: " + ", ".join(names.get(r.criterion, r.criterion) for r in unknown)
            )
        return "; ".join(parts)


def assess(
    criteria: Sequence[str],
    evidence: Iterable[Evidence],
    *,
    diagnoses: Iterable[Diagnosis] = (),
    neurological_signs: Collection[str] = (),
    warrants_work_up_alone: Collection[str] = (),
) -> Assessment:
    """Decide each criterion and the overall risk from the evidence.

    `criteria` gives the criteria and their order (the CodeSystem order);
    `neurological_signs` and `warrants_work_up_alone` name the criteria with those
    CodeSystem properties. Evidence for a criterion not in `criteria` is a programming
    error and raises ValueError, as do repeated criteria. Identical evidence counts once.
    """
    if len(set(criteria)) != len(criteria):
        raise ValueError("criteria must not repeat")
    by_criterion: dict[str, list[Evidence]] = {code: [] for code in criteria}
    for item in dict.fromkeys(evidence):
        bucket = by_criterion.get(item.criterion)
        if bucket is None:
            raise ValueError(f"evidence for unknown criterion {item.criterion!r}")
        bucket.append(item)
    recorded = tuple(dict.fromkeys(diagnoses))

    results = tuple(_decide(code, by_criterion[code]) for code in criteria)
    counted = [item for result in results for item in result.evidence]
    met = {r.criterion for r in results if r.status is CriterionStatus.MET}
    diagnosed = any(not d.preliminary for d in recorded)
    suspected = bool(recorded) and not diagnosed
    if diagnosed:
        risk = RiskLevel.CERTAIN
    else:
        risk = _risk(met, neurological_signs, warrants_work_up_alone)
        if suspected and risk is RiskLevel.LOW:
            risk = RiskLevel.MODERATE
    return Assessment(
        results=results,
        risk=risk,
        preliminary=suspected or any(r.unconfirmed for r in results),
        met_count=len(met),
        basis=tuple(
            dict.fromkeys([d.reference for d in recorded] + [e.reference for e in counted])
        ),
        diagnoses=recorded,
    )


def _decide(criterion: str, evidence: Sequence[Evidence]) -> CriterionResult:
    present = tuple(item for item in evidence if item.present)
    if present:
        unconfirmed = all(item.preliminary for item in present)
        return CriterionResult(criterion, CriterionStatus.MET, present, unconfirmed)
    absent = tuple(item for item in evidence if not item.present)
    if absent:
        return CriterionResult(criterion, CriterionStatus.NOT_MET, absent)
    return CriterionResult(criterion, CriterionStatus.UNKNOWN, ())


def _risk(
    met: Collection[str],
    neurological_signs: Collection[str],
    warrants_work_up_alone: Collection[str],
) -> RiskLevel:
    """3 met: high. A criterion that warrants the work-up alone (opsoclonus), met, whatever
    the others are, or 2 met with a neurological sign among them: moderate (a not-met
    neuroblastoma rules nothing out: tumours are often found only on a repeated search)."""
    if len(met) >= 3:
        return RiskLevel.HIGH
    if any(c in warrants_work_up_alone for c in met):
        return RiskLevel.MODERATE
    if len(met) == 2 and any(c in neurological_signs for c in met):
        return RiskLevel.MODERATE
    return RiskLevel.LOW
