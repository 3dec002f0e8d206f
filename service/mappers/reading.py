"""What one kept resource says, read in one pass: its evidence, the OMS diagnosis or
suspicion it records, whether it carries the OMS code where no diagnosis can be (an
Observation, a report), and the dates after the assessment it had to skip."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.course import OmsCondition
from service.domain.evidence import Diagnosis, Evidence


@dataclass(frozen=True, slots=True)
class Reading:
    evidence: tuple[Evidence, ...] = ()
    diagnosis: Diagnosis | None = None
    mentions_oms: bool = False
    skipped: tuple[str, ...] = ()
    #: The OMS Condition's clinicalStatus and dates, when `diagnosis` is a Condition's.
    oms_condition: OmsCondition | None = None
