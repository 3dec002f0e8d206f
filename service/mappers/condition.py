"""Condition -> Evidence or a recorded diagnosis (DESIGN.md, "Evidence that counts")."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from service.domain.dates import age_in_months, parse_date
from service.domain.evidence import Diagnosis, Evidence
from service.ingest import KeptResource, verification_status
from service.terminology import Terminology

#: verificationStatus codes that count as present but make the assessment preliminary.
PRELIMINARY_STATUSES: Final = frozenset({"unconfirmed", "provisional", "differential"})
#: UCUM units an onsetAge may use, in days per unit (a year as 365.25 days).
_AGE_UNITS: Final = {"a": 365.25, "mo": 365.25 / 12, "wk": 7.0, "d": 1.0}


def condition_evidence(
    kept: KeptResource,
    terminology: Terminology,
    birth_date: date | None = None,
    today: date | None = None,
) -> list[Evidence]:
    """Evidence for every criterion whose ValueSet holds a coding of `Condition.code`.

    Any clinicalStatus counts (a resected neuroblastoma is still a neuroblastoma).
    verificationStatus: refuted -> absent; entered-in-error -> nothing; unconfirmed,
    provisional, differential -> present but preliminary; confirmed or missing ->
    present. Codes that count only at some ages (site codes of a malignant neoplasm)
    are judged by the age at onset (else at the recorded date, else today).
    """
    condition = kept.resource
    status = verification_status(condition, kept.path)
    if status == "entered-in-error":
        return []
    age = _age_at_onset(condition, birth_date, today)
    criteria = terminology.criteria_in(condition.get("code"), age)
    present = status != "refuted"
    preliminary = status in PRELIMINARY_STATUSES
    when = recorded_date(condition)
    return [
        Evidence(criterion, present, preliminary, kept.reference, kept.path, when)
        for criterion in criteria
    ]


def condition_diagnosis(kept: KeptResource, terminology: Terminology) -> Diagnosis | None:
    """The recorded OMS diagnosis this Condition is, if its code says so and it is not
    refuted or entered in error."""
    condition = kept.resource
    if not terminology.records_diagnosis(condition.get("code")):
        return None
    status = verification_status(condition, kept.path)
    if status in ("refuted", "entered-in-error"):
        return None
    return Diagnosis(kept.reference, status in PRELIMINARY_STATUSES, recorded_date(condition))


def recorded_date(condition: dict[str, Any]) -> str | None:
    """When the condition began or was recorded, as a FHIR date."""
    period = condition.get("onsetPeriod")
    for value in (
        condition.get("onsetDateTime"),
        period.get("start") if isinstance(period, dict) else None,
        condition.get("recordedDate"),
    ):
        if isinstance(value, str) and parse_date(value) is not None:
            return value[:10]
    return None


def _age_at_onset(
    condition: dict[str, Any], birth_date: date | None, today: date | None
) -> int | None:
    """Completed years at onset: from onsetAge, else from the birth date and the onset,
    recorded or today's date. None when unknown (such codes then count)."""
    onset_age = condition.get("onsetAge")
    if isinstance(onset_age, dict):
        value, unit = onset_age.get("value"), onset_age.get("code")
        if isinstance(value, int | float) and not isinstance(value, bool) and unit in _AGE_UNITS:
            return int(value * _AGE_UNITS[unit] // 365.25)
    if birth_date is None:
        return None
    when = parse_date(recorded_date(condition)) or today
    return None if when is None else age_in_months(birth_date, when) // 12
