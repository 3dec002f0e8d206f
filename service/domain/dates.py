"""FHIR dates as calendar dates, and ages: pure Python, no FHIR models."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

_DATE: Final = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_date(value: object) -> date | None:
    """The calendar date a FHIR date or dateTime starts on (a year alone is 1 January);
    None for anything else."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
    except ValueError:
        return None


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
    text = f"{years} year{'s' if years != 1 else ''}"
    if years < 6 and rest:
        text += f" {rest} month{'s' if rest != 1 else ''}"
    return text
