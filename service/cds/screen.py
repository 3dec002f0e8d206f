"""Gathered records -> intake (as one collection Bundle) -> the engine -> cards.

The same engine as `POST /fhir/$oms-assess`, so a CDS client and a FHIR client get the
same answer for the same data. Errors the engine raises about the assembled Bundle
(`Bundle.entry[3].resource.subject`) are re-pointed at where the resource came from
(`prefetch.conditions.entry[1].resource.subject`), which is what the client can fix.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from service.cds.cards import cards_for
from service.cds.errors import PreconditionFailed
from service.cds.request import HookRequest
from service.engine import AssessmentResult, assess_ingested
from service.errors import OmsError, UnprocessablePayload, UnreadableInput
from service.fhir_json import Json
from service.intake import Record, read_records
from service.terminology import Terminology

_ENTRY_PATH = re.compile(r"^Bundle\.entry\[(\d+)\]\.resource")


def screen(
    request: HookRequest,
    found: Sequence[Record],
    terminology: Terminology,
    *,
    app_launch_url: str | None = None,
) -> tuple[str, list[Json]]:
    """The risk level (for the metrics) and the cards for the gathered data, in one
    worker-thread hop (CPU-bound: call it from a worker thread)."""
    result = assess_hook(request, found, terminology)
    risk = str(result.assessment.risk)
    return risk, cards_for(result, terminology, app_launch_url=app_launch_url)


def assess_hook(
    request: HookRequest, found: Sequence[Record], terminology: Terminology
) -> AssessmentResult:
    """The assessment of the gathered data, checked to concern `context.patientId`.

    A resource found by both Observation searches is walked twice, as two copies of
    one version: intake keeps only the latest copy (`intake.walk`), so it counts once
    (without a 10,000-entry pass to drop repeats first)."""
    try:
        ingested = read_records(found, terminology)
        result = assess_ingested(ingested, terminology)
    except OmsError as exc:
        exc.expression = [_source_path(path, found) for path in exc.expression]
        exc.more = [
            dataclasses.replace(i, expression=[_source_path(p, found) for p in i.expression])
            for i in exc.more
        ]
        if isinstance(exc, UnreadableInput) and _from_server(exc.expression):
            # Read from the client's server (its pages keep resources as bytes), a resource
            # the JSON reader refuses: the data cannot be had, not a fault of the request.
            raise PreconditionFailed(
                "The FHIR server's answer holds a number too large for this service to read"
                if exc.code == "not-supported"
                else "The FHIR server's answer is not valid JSON",
                code="not-supported" if exc.code == "not-supported" else "invalid",
                expression=exc.expression,
            ) from None
        raise
    if result.patient != f"Patient/{request.patient_id}":
        raise UnprocessablePayload(
            "The data supplied concern a patient other than context.patientId",
            code="invalid",
            expression=["context.patientId"],
        )
    return result


def _from_server(expression: Sequence[str]) -> bool:
    return bool(expression) and expression[0].startswith("fhirServer.")


def _source_path(path: str, found: Sequence[Record]) -> str:
    match = _ENTRY_PATH.match(path)
    if match is None or int(match[1]) >= len(found):
        return path
    return found[int(match[1])].source + path[match.end() :]
