"""The patient's tumour-search track, chosen by the PlanDefinition oms-tumour-search.

The age at which the track changes, and what each track searches for, are data: each
action of the PlanDefinition is a track, with an applicability condition on
`%ageAtOnset` (the youngest age, in completed years, at which the neurological signs may
have begun; empty when unknown). The first action that applies is the patient's track.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from service.domain.dates import AgeSpan
from service.errors import TerminologyError
from service.mappers.actions import applies
from service.terminology import CANONICAL_BASE, Terminology

TUMOUR_SEARCH = f"{CANONICAL_BASE}/PlanDefinition/oms-tumour-search"


@dataclass(frozen=True, slots=True)
class Track:
    """`code`: the work-up code of the track's search (`neuroblastoma-search`); `title`:
    how the rationale names it; `search`: what to do, in words a clinician reads."""

    code: str
    title: str
    search: str


def select_track(terminology: Terminology, age_at_onset: AgeSpan | None) -> Track:
    return _track(terminology, None if age_at_onset is None else age_at_onset.low)


@lru_cache(maxsize=512)
def _track(terminology: Terminology, youngest: int | None) -> Track:
    plan = terminology.definition(TUMOUR_SEARCH)
    context: dict[str, object] = {"ageAtOnset": [] if youngest is None else youngest}
    for action in plan.get("action", []):
        if applies(action, context):
            return Track(
                str(action["code"][0]["coding"][0]["code"]),
                str(action["title"]),
                str(action["description"]),
            )
    raise TerminologyError(f"{TUMOUR_SEARCH}: no track applies at age {youngest}")
