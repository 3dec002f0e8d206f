"""Assess a posted Bundle (or a Parameters with a `bundle` part).

The engine is CPU-bound (a 100,000-entry Bundle takes seconds): a large body is assessed
in a worker thread, so that the event loop keeps answering other requests meanwhile, a
small one on the loop (`usecases.cpu`).
"""

from __future__ import annotations

from functools import partial

from service.engine import AssessmentResult, assess_payload
from service.metrics import ASSESSMENTS
from service.terminology import Terminology
from service.usecases.cpu import run_cpu


async def assess_bundle(
    body: bytes, terminology: Terminology, *, max_entries: int
) -> AssessmentResult:
    """The assessment of the body's one patient; OmsError (4xx) for a body that is not one."""
    result = await run_cpu(
        partial(assess_payload, body, terminology, max_entries=max_entries), size=len(body)
    )
    ASSESSMENTS.labels("fhir-bundle", str(result.assessment.risk)).inc()
    return result
