"""One piece of evidence about one criterion, or a recorded diagnosis, stripped of FHIR."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.domain.dates import AgeSpan


@dataclass(frozen=True, slots=True)
class Evidence:
    """A resource's say on one criterion.

    `reference` is the identity used in RiskAssessment `basis` and in the criterion's
    `evidence` sub-extension (`Condition/abc`, or the entry's `urn:uuid:` fullUrl), so
    two Evidence with the same reference are the same resource. `recorded` is when the
    finding was seen (a FHIR date, possibly partial), or None; `age` the patient's age
    then (None: unknown). Neither takes part in equality.
    """

    criterion: str
    present: bool
    preliminary: bool
    reference: str
    recorded: str | None = field(default=None, compare=False)
    age: AgeSpan | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """An OMS diagnosis recorded in a Condition (not refuted, not entered in error).

    `preliminary`: provisional, differential or unconfirmed (or counted as unconfirmed:
    a suspicion, not a diagnosis)."""

    reference: str
    preliminary: bool
    recorded: str | None = None
    age: AgeSpan | None = field(default=None, compare=False)
