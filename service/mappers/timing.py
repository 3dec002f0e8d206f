"""When a finding began or was seen, and the patient's age then (DESIGN.md, "Ages").

A Condition's age at onset comes from `onsetAge`, `onsetRange`, `onsetDateTime` or
`onsetPeriod.start`; else from its `abatement[x]` (the onset was no later: an upper
bound); else from `recordedDate`. An Observation's (or a report's) from its effective
time, else `issued`. Partial dates and ranges are intervals (`AgeSpan`). A date later
than the assessment is an error in the record: it is skipped (the next source is used)
and named, so the rationale can say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from service.domain.dates import AgeSpan, DateSpan, age_between, date_span

#: UCUM units an Age may use, in years per unit.
_YEARS_PER_UNIT: Final = {"a": 1.0, "mo": 1 / 12, "wk": 7 / 365.25, "d": 1 / 365.25}


@dataclass(frozen=True, slots=True)
class PatientClock:
    """What ages are measured from: the birth date (an interval; None when unknown), the
    assessment's date (later dates are errors) and "today" for the patient (the date of
    death for the deceased; an interval when only the fact of death is known)."""

    birth: DateSpan | None
    now: date
    today: DateSpan
    deceased: bool = False
    #: Whether the date of death is recorded (`today` is then that date).
    death_dated: bool = False

    def age_on(self, when: DateSpan) -> AgeSpan | None:
        return None if self.birth is None else age_between(self.birth, when)

    @property
    def age_today(self) -> AgeSpan | None:
        return self.age_on(self.today)


def patient_clock(birth_date: str | None, deceased: str | bool | None, now: date) -> PatientClock:
    """The clock of a Patient from its `birthDate` and `deceased[x]` (a dateTime's text, or
    True for `deceasedBoolean`). A birth or death date after `now` is not believed."""
    birth = date_span(birth_date)
    if birth is not None and birth.first > now:
        birth = None
    death = date_span(deceased) if isinstance(deceased, str) else None
    if death is not None and death.first <= now:
        return PatientClock(birth, now, death, deceased=True, death_dated=True)
    if deceased is True or isinstance(deceased, str):
        return PatientClock(birth, now, DateSpan(birth.first if birth else now, now), True)
    return PatientClock(birth, now, DateSpan.on(now))


def unknown_clock() -> PatientClock:
    """A patient of unknown age, assessed today (for callers without a Patient)."""
    today = date.today()
    return PatientClock(None, today, DateSpan.on(today))


@dataclass(frozen=True, slots=True)
class Timing:
    """`recorded`: the date shown to clinicians (a FHIR date, possibly partial); `age`: the
    patient's age then; `skipped`: elements whose date lies after the assessment."""

    recorded: str | None
    age: AgeSpan | None
    skipped: tuple[str, ...] = ()


class _Dates:
    """Reads dates off one resource, skipping (and noting) those after the assessment."""

    def __init__(self, resource: dict[str, Any], clock: PatientClock) -> None:
        self.resource = resource
        self.clock = clock
        self.skipped: list[str] = []

    def span(self, element: str, value: object) -> DateSpan | None:
        span = date_span(value)
        if span is not None and span.first > self.clock.now:
            self.skipped.append(element)
            return None
        return span

    def first(self, *elements: str) -> tuple[str, DateSpan] | None:
        """The first element (a name, or `name.start`) with a usable date: its text, span."""
        for element in elements:
            value = _element(self.resource, element)
            span = self.span(element, value)
            if span is not None:
                assert isinstance(value, str)
                return value.strip()[:10], span
        return None


def condition_timing(condition: dict[str, Any], clock: PatientClock) -> Timing:
    """When the Condition began (for the rationale) and the patient's age at its onset."""
    dates = _Dates(condition, clock)
    onset = dates.first("onsetDateTime", "onsetPeriod.start")
    recorded_at = dates.first("recordedDate")
    recorded = onset[0] if onset else recorded_at[0] if recorded_at else None
    age = (
        clock.age_on(onset[1])
        if onset
        else _age(condition.get("onsetAge")) or _range(condition.get("onsetRange"))
    )
    if age is None and onset is None:
        age = _bounded_by_abatement(condition, dates)
        if age is None and recorded_at is not None:
            age = clock.age_on(recorded_at[1])
    return Timing(recorded, age, tuple(dates.skipped))


def observation_timing(resource: dict[str, Any], clock: PatientClock) -> Timing:
    """When an Observation (or a DiagnosticReport) was seen: effective time, else issued."""
    dates = _Dates(resource, clock)
    seen = dates.first("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued")
    if seen is None:
        return Timing(None, None, tuple(dates.skipped))
    return Timing(seen[0], clock.age_on(seen[1]), tuple(dates.skipped))


def authored_timing(request: dict[str, Any], clock: PatientClock) -> Timing:
    """When a request was written (its reason was suspected then)."""
    dates = _Dates(request, clock)
    seen = dates.first("authoredOn", "occurrenceDateTime")
    if seen is None:
        return Timing(None, None, tuple(dates.skipped))
    return Timing(seen[0], clock.age_on(seen[1]), tuple(dates.skipped))


def _bounded_by_abatement(condition: dict[str, Any], dates: _Dates) -> AgeSpan | None:
    """The onset was no later than the abatement: an age from 0 up to the abatement's."""
    upper: AgeSpan | None = None
    abated = dates.first("abatementDateTime", "abatementPeriod.start")
    if abated is not None:
        upper = dates.clock.age_on(abated[1])
    else:
        upper = _age(condition.get("abatementAge")) or _range(condition.get("abatementRange"))
    if upper is None or upper.high is None:
        return None
    return AgeSpan(0, upper.high)


def _age(quantity: object) -> AgeSpan | None:
    years = _years(quantity)
    return None if years is None else AgeSpan(years, years)


def _range(value: object) -> AgeSpan | None:
    if not isinstance(value, dict):
        return None
    low, high = _years(value.get("low")), _years(value.get("high"))
    if low is None and high is None:
        return None
    return AgeSpan(low or 0, high)


def _years(quantity: object) -> int | None:
    """Completed years of an Age quantity in a UCUM time unit; None otherwise."""
    if not isinstance(quantity, dict):
        return None
    value, unit = quantity.get("value"), quantity.get("code")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    per_unit = _YEARS_PER_UNIT.get(unit) if isinstance(unit, str) else None
    if per_unit is None:
        return None
    return math.floor(value * per_unit + 1e-9)


def _element(resource: dict[str, Any], element: str) -> object:
    name, _, part = element.partition(".")
    value = resource.get(name)
    if part:
        return value.get(part) if isinstance(value, dict) else None
    return value
