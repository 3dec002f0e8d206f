"""One piece of evidence about one criterion, or a recorded diagnosis, stripped of FHIR."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Evidence:
    """A resource's say on one criterion.

    `reference` is the identity used in RiskAssessment `basis` and in the criterion's
    `evidence` sub-extension (`Condition/abc`, or the entry's `urn:uuid:` fullUrl), so
    two Evidence with the same reference are the same resource. `recorded` is when the
    finding was seen (a FHIR date, possibly partial), or None. `source_path` is the
    FHIRPath of the resource in the input, for diagnostics only; it takes no part in
    equality or hashing.
    """

    criterion: str
    present: bool
    preliminary: bool
    reference: str
    source_path: str = field(default="", compare=False)
    recorded: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A recorded OMS diagnosis (not refuted, not entered in error)."""

    reference: str
    preliminary: bool
    recorded: str | None = None
