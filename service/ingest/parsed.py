"""The reference path: the whole body parsed with orjson, the Bundle unwrapped, entries as dicts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final, NoReturn

import orjson

from service.errors import PayloadTooLarge, UnprocessablePayload, UnreadableInput
from service.ingest.patient import reference_index, select
from service.ingest.result import IngestResult, Json
from service.terminology import Terminology

UTF8_BOM: Final = b"\xef\xbb\xbf"


def ingest_parsed(body: bytes, terminology: Terminology, max_entries: int) -> IngestResult:
    """The reference path: the whole body parsed with orjson, entries walked as dicts."""
    bundle, root = _unwrap(_parse(body))
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise UnprocessablePayload("Bundle.entry must be an array", expression=[f"{root}.entry"])
    check_entry_count(len(entries), max_entries, root)

    usable = list(_usable_entries(entries, root))
    picked = (
        (i, path, full_url, resource)
        for i, path, full_url, resource in usable
        if resource.get("resourceType") == "Patient"
        or (
            resource.get("resourceType") in ("Condition", "Observation")
            and _hits(resource, terminology)
        )
    )
    subjects = (
        (path, resource.get("subject"))
        for _, path, _, resource in usable
        if resource.get("resourceType") in ("Condition", "Observation")
    )
    return select(picked, subjects, reference_index(usable), root, len(entries))


def check_entry_count(count: int, max_entries: int, root: str) -> None:
    if count > max_entries:
        raise PayloadTooLarge(
            f"The Bundle has more than {max_entries} entries", expression=[f"{root}.entry"]
        )


def _parse(body: bytes) -> object:
    if body.startswith(UTF8_BOM):
        # RFC 8259 lets a parser ignore a leading byte-order mark; some Windows
        # integration engines send one. (The skeleton path refuses it and falls back here.)
        body = body[len(UTF8_BOM) :]
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in exc.msg.lower():
            raise PayloadTooLarge(
                "The JSON is nested deeper than the limit of 1024 levels"
            ) from None
        if "utf-8" in exc.msg.lower():
            raise UnreadableInput("The request body is not valid UTF-8") from None
        raise UnreadableInput(
            f"The request body is not valid JSON (at position {exc.pos})"
        ) from None


def refuse_unless_parameters(resource_type: object) -> None:
    """422 unless the payload (known not to be a Bundle) is a Parameters."""
    if resource_type != "Parameters":
        raise UnprocessablePayload(
            "Expected a Bundle, or a Parameters with a 'bundle' part",
            code="not-supported" if isinstance(resource_type, str) else "structure",
            expression=[resource_type if isinstance(resource_type, str) else "resourceType"],
        )


def the_bundle_part(indexes: Sequence[int]) -> int:
    """The index of the one `bundle` part of a Parameters, or 422."""
    if not indexes:
        raise UnprocessablePayload(
            "Parameters must have a 'bundle' part",
            code="required",
            expression=["Parameters.parameter"],
        )
    if len(indexes) > 1:
        raise UnprocessablePayload(
            "Parameters must have only one 'bundle' part",
            expression=[f"Parameters.parameter[{indexes[1]}]"],
        )
    return indexes[0]


def refuse_non_bundle_part(k: int) -> NoReturn:
    raise UnprocessablePayload(
        "The 'bundle' part must hold a Bundle resource",
        expression=[f"Parameters.parameter[{k}].resource"],
    )


def _unwrap(document: object) -> tuple[Json, str]:
    """The Bundle and the FHIRPath of its root in the request."""
    if not isinstance(document, dict):
        raise UnprocessablePayload("The request body must be a FHIR resource (a JSON object)")
    resource_type = document.get("resourceType")
    if resource_type == "Bundle":
        return document, "Bundle"
    refuse_unless_parameters(resource_type)
    parameter = document.get("parameter")
    parameters: list[object] = parameter if isinstance(parameter, list) else []
    k = the_bundle_part(
        [k for k, p in enumerate(parameters) if isinstance(p, dict) and p.get("name") == "bundle"]
    )
    part = parameters[k]
    bundle = part.get("resource") if isinstance(part, dict) else None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        refuse_non_bundle_part(k)
    return bundle, f"Parameters.parameter[{k}].resource"


def _usable_entries(
    entries: Sequence[object], root: str
) -> Iterator[tuple[int, str, str | None, Json]]:
    """(index, resource path, fullUrl, resource) of entries that hold a resource.

    Search outcome entries (OperationOutcomes about the search) are skipped; entries
    without a resource (a transaction DELETE, a response) have nothing to read.
    """
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise UnprocessablePayload(
                "A Bundle entry must be an object",
                code="structure",
                expression=[f"{root}.entry[{i}]"],
            )
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        resource = entry.get("resource")
        if resource is None:
            continue
        path = f"{root}.entry[{i}].resource"
        if not isinstance(resource, dict):
            raise UnprocessablePayload(
                "Bundle.entry.resource must be a resource", code="structure", expression=[path]
            )
        full_url = entry.get("fullUrl")
        yield i, path, full_url.strip() if isinstance(full_url, str) else None, resource


def _hits(resource: Json, terminology: Terminology) -> bool:
    if any_criterion(resource.get("code"), terminology):
        return True
    return resource.get("resourceType") == "Observation" and any_criterion(
        resource.get("valueCodeableConcept"), terminology
    )


def any_criterion(concept: object, terminology: Terminology) -> bool:
    """`bool(terminology.criteria_in(concept))`, stopping at the first hit.

    Runs for every Condition and Observation of the bundle; building the ordered
    criteria tuple for each was 2x slower (bench, 10k entries).
    """
    if not isinstance(concept, dict):
        return False
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return False
    for coding in codings:
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if (
                isinstance(system, str)
                and isinstance(code, str)
                and terminology.criteria_for(system, code)
            ):
                return True
    return False
