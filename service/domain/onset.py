"""The age at onset of the neurological signs, which decides the tumour-search track."""

from __future__ import annotations

from collections.abc import Collection

from service.domain.criteria import Assessment, CriterionStatus
from service.domain.dates import AgeSpan


def age_at_onset(
    assessment: Assessment, neurological_signs: Collection[str], at_assessment: AgeSpan | None
) -> AgeSpan | None:
    """The youngest age at which a neurological sign (or a recorded OMS) was seen; else
    the age at assessment; None when unknown.

    The recorded OMS diagnoses count too, so that an adult whose OMS began in childhood
    stays on the paediatric track whatever the date of today's examination."""
    ages = [
        item.age
        for result in assessment.results
        if result.criterion in neurological_signs and result.status is CriterionStatus.MET
        for item in result.evidence
        if item.present and item.age is not None
    ] + [d.age for d in assessment.diagnoses if d.age is not None]
    if ages:
        return min(ages, key=lambda age: age.low)
    return at_assessment
