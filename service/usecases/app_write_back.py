"""The SMART app's save: the transaction that stores the assessment of the posted data.

The app runs in the clinician's browser with the clinician's token, which never reaches
this service: it posts the patient's data here and sends the answer to the EHR itself.
The answer is the transaction `Patient/{id}/$oms-assess?persist=true` would execute
(`service.usecases.persist`: same key, same resources), with the clinician named in the
Provenance. This service stores nothing and calls no FHIR server for it.
"""

from __future__ import annotations

from functools import partial

from service.engine import assess_ingested
from service.fhir_json import Json
from service.intake import read_body
from service.terminology import Terminology
from service.usecases.cpu import run_cpu
from service.usecases.persist import persist_transaction


async def write_back_transaction(
    body: bytes, terminology: Terminology, *, max_entries: int, author: str | None
) -> Json:
    """The keyed transaction for the posted Bundle (`usecases.cpu` says where it is worked on).

    `author`: the clinician saving (`Practitioner/123`), already checked by the caller.
    """
    return await run_cpu(
        partial(_keyed_transaction, body, terminology, max_entries=max_entries, author=author),
        size=len(body),
    )


def _keyed_transaction(
    body: bytes, terminology: Terminology, *, max_entries: int, author: str | None
) -> Json:
    """The `?persist=true` transaction for this data: same key, same resources."""
    ingested = read_body(body, terminology, max_entries=max_entries)
    result = assess_ingested(ingested, terminology)
    return persist_transaction(ingested, result, terminology, author=author)
