"""FHIR dates as intervals of days, and ages as intervals of completed years: pure Python.

A FHIR date may be partial (`2019` is any day of 2019), and an age may be known only
as a range (`onsetRange` 40-50 a) or a bound (a Condition abated at 40 began no later).
The rules ask "may the patient have been under 18?", which an interval answers exactly
where a single guessed date does not (a birth year alone read as 1 January makes a child
born in December a year older).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

_DATE: Final = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True, slots=True)
class DateSpan:
    """The days a FHIR date or dateTime may mean: `2019` is 2019-01-01 to 2019-12-31."""

    first: date
    last: date

    @classmethod
    def on(cls, day: date) -> DateSpan:
        return cls(day, day)


@dataclass(frozen=True, slots=True)
class AgeSpan:
    """An age in completed years, as an interval: `high` None when only a lower bound is
    known. An age before birth (antenatal) is 0."""

    low: int
    high: int | None

    def overlaps(self, low: int, high: int) -> bool:
        """Whether the age may have been within `low`..`high` (inclusive)."""
        return self.low <= high and (self.high is None or self.high >= low)

    def describe(self) -> str:
        """`56 years`, `35 or 36 years`, `40 to 50 years`, `at least 3 years`."""
        if self.high is None:
            return f"at least {_years(self.low)}"
        if self.low == self.high:
            return _years(self.low)
        joiner = " or " if self.high == self.low + 1 else " to "
        return f"{self.low}{joiner}{_years(self.high)}"


def date_span(value: object) -> DateSpan | None:
    """The days a FHIR date, dateTime or instant may mean (its calendar date: the time
    and zone are dropped); None for anything else."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if match is None:
        return None
    year = int(match[1])
    try:
        if match[2] is None:
            return DateSpan(date(year, 1, 1), date(year, 12, 31))
        month = int(match[2])
        if match[3] is None:
            last = calendar.monthrange(year, month)[1]
            return DateSpan(date(year, month, 1), date(year, month, last))
        return DateSpan.on(date(year, month, int(match[3])))
    except ValueError:
        return None


def parse_date(value: object) -> date | None:
    """The first day a FHIR date or dateTime may mean; None for anything else."""
    span = date_span(value)
    return None if span is None else span.first


def completed_years(birth: date, on: date) -> int:
    """Completed years from `birth` to `on` (0 before birth: an antenatal finding)."""
    return max(0, age_in_months(birth, on) // 12)


def age_between(birth: DateSpan, on: DateSpan) -> AgeSpan:
    """The age on a day of `on` of someone born on a day of `birth`."""
    return AgeSpan(completed_years(birth.last, on.first), completed_years(birth.first, on.last))


def age_in_months(birth: date, on: date) -> int:
    """Completed months from `birth` to `on` (negative if `on` is before `birth`)."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day:
        months -= 1
    return months


def describe_age(months: int) -> str:
    """`2 years 5 months`, `11 months`, `56 years`: how a clinician says an age."""
    if months < 0:
        return "not yet born"
    years, rest = divmod(months, 12)
    if years == 0:
        return f"{rest} month{'s' if rest != 1 else ''}"
    text = _years(years)
    if years < 6 and rest:
        text += f" {rest} month{'s' if rest != 1 else ''}"
    return text


def describe_age_between(birth: DateSpan, on: DateSpan) -> str:
    """The age as a clinician says it: exact to the month when both dates are days,
    else the interval of completed years."""
    if birth.first == birth.last and on.first == on.last:
        return describe_age(age_in_months(birth.first, on.first))
    return age_between(birth, on).describe()


def _years(n: int) -> str:
    return f"{n} year{'s' if n != 1 else ''}"
