"""The transaction that stores an assessment, shared by both ways of writing it back.

`Patient/{id}/$oms-assess?persist=true` sends it to the FHIR server itself; the SMART
app gets it from `$oms-write-back` and sends it with the clinician's token. One builder
gives both the same conditional-create key, so a second save, or a save after a
server-side persist of the same data, creates nothing.
"""

from __future__ import annotations

import copy
from typing import Final

from service.engine import AssessmentResult
from service.fhir_json import Json
from service.intake import IngestResult
from service.mappers import write_back
from service.terminology import Terminology

_ENTERER: Final = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "enterer",
            "display": "Enterer",
        }
    ]
}


def persist_transaction(
    ingested: IngestResult,
    result: AssessmentResult,
    terminology: Terminology,
    *,
    author: str | None = None,
) -> Json:
    """The idempotent transaction that stores an assessment: conditional creates keyed on
    the patient, the evidence (with its versions) and the rule set. `author` (the SMART
    app's clinician) joins the Provenance as enterer; the key does not depend on it."""
    fingerprints = [
        write_back.evidence_fingerprint(kept.resource, kept.reference)
        for kept in (*ingested.kept, *ingested.treatments)
    ]
    key = write_back.assessment_key(
        ingested.patient, fingerprints, write_back.rule_set_version(terminology)
    )
    entries = [(entry["fullUrl"], entry["resource"]) for entry in result.bundle["entry"]]
    if author is not None:
        entries = [(url, _with_author(resource, author)) for url, resource in entries]
    return write_back.transaction(entries, key)


def _with_author(resource: Json, author: str) -> Json:
    if resource["resourceType"] != "Provenance":
        return resource
    provenance = copy.deepcopy(resource)
    provenance["agent"].append({"type": _ENTERER, "who": {"reference": author}})
    return provenance
