"""The course of treatment: episodes, relapse, and how each checklist item follows the record.

OMS relapses and remits, and the checklist is a checklist for treating a relapse, so what counts
is what was given in the current episode; what was given before is the material for "Review
previous drug responses". Pure Python on purpose: the rules are tested without FHIR, and which
agent classes track which item, and how, comes from the PlanDefinition in `profiles/` (see
`service.treatment_terminology`), not from here. Dates are FHIR dates, possibly partial: a
period starts on the first day its start can mean and ends on the last day its end can mean.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from service.domain.dates import parse_date

#: Condition clinicalStatus codes (http://terminology.hl7.org/CodeSystem/condition-clinical).
_RELAPSE = frozenset({"relapse", "recurrence"})
_REMISSION = frozenset({"remission", "inactive", "resolved"})


class RecordState(StrEnum):
    """What a treatment record says happened, before the dates are read."""

    ACTIVE = "active"  # active or in-progress: given now unless its period has ended
    GIVEN = "given"  # completed or stopped
    ON_HOLD = "on-hold"  # counts as given; alone it makes the activity on-hold
    ORDERED = "ordered"  # an active ServiceRequest: scheduled, not yet given


class TrackingRule(StrEnum):
    """Codes of CodeSystem oms-course-tracking-rule."""

    ANY = "any"
    COMBINATION = "combination"
    EARLIER_EPISODES = "earlier-episodes"


class ActivityStatus(StrEnum):
    """CarePlan.activity.detail.status values the course produces."""

    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    SCHEDULED = "scheduled"
    ON_HOLD = "on-hold"
    NOT_STARTED = "not-started"


@dataclass(frozen=True, slots=True)
class Treatment:
    """One treatment record, stripped of FHIR.

    `classes` are the agent classes (ValueSet canonicals) its codes fall in; `name` is what a
    clinician reads ("prednisolone"); `start`/`end` are FHIR dates or None; `reference` is the
    record's identity for outcomeReference.
    """

    classes: frozenset[str]
    name: str
    state: RecordState
    reference: str
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True, slots=True)
class OmsCondition:
    """A recorded OMS diagnosis with the dates that place relapses and remissions."""

    clinical_status: str | None
    onset: str | None = None
    recorded: str | None = None
    abatement: str | None = None


@dataclass(frozen=True, slots=True)
class TrackedItem:
    """A checklist action that follows the record: its code, rule and agent classes.

    `groups` (same length as `classes`) names each class's group for a combination: classes
    in the same group (corticosteroids and ACTH) count as one.
    """

    code: str
    rule: TrackingRule
    classes: tuple[str, ...]
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemProgress:
    """How one tracked item stands: status, the records behind it, words for the clinician."""

    code: str
    status: ActivityStatus
    references: tuple[str, ...]
    progress: str | None


@dataclass(frozen=True, slots=True)
class Course:
    """The current episode (None: no dated evidence) and each tracked item's progress.

    `relapse_since` is set when the current episode is a relapse ("in relapse since DATE").
    """

    episode_start: date | None
    relapse_since: date | None
    items: tuple[ItemProgress, ...]


@dataclass(frozen=True, slots=True)
class _Span:
    treatment: Treatment
    first: date | None
    last: date | None  # inclusive; None: open (active now, or no end recorded)
    active_now: bool


def end_of(value: str | None) -> date | None:
    """The last calendar day a FHIR date can mean: 2026-10 ends on 2026-10-31."""
    first = parse_date(value)
    if first is None or value is None:
        return None
    precision = len(value.strip().split("T", 1)[0])
    if precision == 4:
        return date(first.year, 12, 31)
    if precision == 7:
        return date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    return first


def current_episode(
    conditions: Iterable[OmsCondition],
    sign_dates: Iterable[str],
    evidence_dates: Iterable[str],
) -> tuple[date | None, date | None]:
    """(episode start, relapse date or None).

    A relapse is an OMS Condition whose clinicalStatus is relapse or recurrence (its onset,
    else its recorded date), or the first dated sign (opsoclonus, myoclonus-ataxia) after the
    latest recorded remission (remission, inactive or resolved with an abatement date); the
    latest relapse starts the episode. Without one, the disease onset (earliest dated evidence).
    """
    conditions = list(conditions)
    relapses = [
        parse_date(c.onset) or parse_date(c.recorded)
        for c in conditions
        if c.clinical_status in _RELAPSE
    ]
    remissions = [
        end_of(c.abatement) for c in conditions if c.clinical_status in _REMISSION and c.abatement
    ]
    remitted = max((d for d in remissions if d is not None), default=None)
    if remitted is not None:
        signs = sorted(d for d in map(parse_date, sign_dates) if d is not None and d > remitted)
        relapses.append(signs[0] if signs else None)
    relapse = max((d for d in relapses if d is not None), default=None)
    if relapse is not None:
        return relapse, relapse
    onset = min((d for d in map(parse_date, evidence_dates) if d is not None), default=None)
    return onset, None


def follow_course(
    items: Sequence[TrackedItem],
    treatments: Iterable[Treatment],
    *,
    conditions: Iterable[OmsCondition] = (),
    sign_dates: Iterable[str] = (),
    evidence_dates: Iterable[str] = (),
    today: date,
) -> Course:
    """Each tracked item's status, records and progress in the current episode.

    `today` is the assessment date (the date of death for a deceased patient): an active
    record whose end is before it was given and has stopped. A record active now counts in
    the current episode even if it began earlier; an undated record counts in it too (it
    cannot be placed earlier, and the clinician must see it).
    """
    start, relapse = current_episode(conditions, sign_dates, evidence_dates)
    spans = [_span(t, today) for t in dict.fromkeys(treatments)]
    current = [s for s in spans if _in_episode(s, start)]
    earlier = [s for s in spans if not _in_episode(s, start)]
    progress = []
    for item in items:
        if item.rule is TrackingRule.EARLIER_EPISODES:
            progress.append(_review(item, earlier))
        elif item.rule is TrackingRule.COMBINATION:
            progress.append(_combination(item, current, today))
        else:
            progress.append(_any(item, current))
    return Course(start, relapse, tuple(progress))


def _span(treatment: Treatment, today: date) -> _Span:
    first = parse_date(treatment.start)
    last = end_of(treatment.end)
    state = treatment.state
    active_now = state is RecordState.ACTIVE and (last is None or last >= today)
    return _Span(treatment, first, last, active_now)


def _in_episode(span: _Span, start: date | None) -> bool:
    if start is None or span.active_now:
        return True
    latest = span.last or span.first
    return latest is None or latest >= start


def _of(item: TrackedItem, spans: Iterable[_Span]) -> list[_Span]:
    wanted = set(item.classes)
    return [s for s in spans if not wanted.isdisjoint(s.treatment.classes)]


def _any(item: TrackedItem, current: list[_Span]) -> ItemProgress:
    spans = _of(item, current)
    states = {s.treatment.state for s in spans}
    if any(s.active_now for s in spans):
        status = ActivityStatus.IN_PROGRESS
    elif states & {RecordState.GIVEN, RecordState.ACTIVE}:
        status = ActivityStatus.COMPLETED  # an ACTIVE span here has ended: given and stopped
    elif RecordState.ON_HOLD in states:
        status = ActivityStatus.ON_HOLD
    elif RecordState.ORDERED in states:
        status = ActivityStatus.SCHEDULED
    else:
        status = ActivityStatus.NOT_STARTED
    return _result(item, status, spans)


def _combination(item: TrackedItem, current: list[_Span], today: date) -> ItemProgress:
    group_of = dict(zip(item.classes, item.groups or item.classes, strict=True))
    given = [s for s in _of(item, current) if s.treatment.state is not RecordState.ORDERED]
    groups = [_groups(span, group_of) for span in given]  # once per record, not per pair
    pairs = []
    if len(frozenset().union(*groups)) >= 2:  # one agent class alone is no combination
        for i, a in enumerate(given):
            for j in range(i + 1, len(given)):
                if len(groups[i] | groups[j]) >= 2:
                    overlap = _overlap(a, given[j], today)
                    if overlap is not None:
                        pairs.append((a, given[j], overlap))
    if not pairs:
        return ItemProgress(item.code, ActivityStatus.NOT_STARTED, (), None)
    now = any(a.active_now and b.active_now for a, b, _ in pairs)
    status = ActivityStatus.IN_PROGRESS if now else ActivityStatus.COMPLETED
    spans = list(dict.fromkeys(s for a, b, _ in pairs for s in (a, b)))
    words = "; ".join(f"{_words(a)} with {_words(b)}" for a, b, _ in pairs)
    return ItemProgress(item.code, status, _refs(spans), words)


def _groups(span: _Span, group_of: dict[str, str]) -> frozenset[str]:
    return frozenset(group_of[c] for c in span.treatment.classes if c in group_of)


def _overlap(a: _Span, b: _Span, today: date) -> date | None:
    """The first day both records were given, or None (undated records never overlap)."""
    if a.first is None or b.first is None:
        return None
    a_last = a.last or (today if a.active_now else a.first)
    b_last = b.last or (today if b.active_now else b.first)
    first = max(a.first, b.first)
    return first if first <= min(a_last, b_last) else None


def _review(item: TrackedItem, earlier: list[_Span]) -> ItemProgress:
    spans = sorted(_of(item, earlier), key=lambda s: (s.first or date.min, s.treatment.name))
    given = [s for s in spans if s.treatment.state is not RecordState.ORDERED]
    words = "; ".join(_words(s) for s in given) or None
    return ItemProgress(item.code, ActivityStatus.NOT_STARTED, _refs(given), words)


def _result(item: TrackedItem, status: ActivityStatus, spans: list[_Span]) -> ItemProgress:
    ordered = sorted(spans, key=lambda s: (s.first or date.max, s.treatment.name))
    words = "; ".join(_words(s) for s in ordered) or None
    return ItemProgress(item.code, status, _refs(ordered), words)


def _refs(spans: Iterable[_Span]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.treatment.reference for s in spans))


def _words(span: _Span) -> str:
    """'prednisolone, 2026-10-01 to 2026-11-02', 'since 2026-10-01', 'ordered', 'on hold'."""
    t = span.treatment
    first = t.start[:10] if t.start else None
    last = t.end[:10] if t.end else None
    if t.state is RecordState.ORDERED:
        when = f"ordered {first}" if first else "ordered"
    elif span.active_now:
        when = f"since {first}" if first else "ongoing, start not recorded"
    elif first and last:
        when = first if first == last else f"{first} to {last}"
    else:
        when = first or (f"until {last}" if last else "date not recorded")
    if t.state is RecordState.ON_HOLD:
        when += ", on hold"
    return f"{t.name}, {when}"
