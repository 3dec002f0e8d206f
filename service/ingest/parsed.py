"""The reference path: the whole body parsed with orjson, the Bundle unwrapped, entries as dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NoReturn

import msgspec

from service.errors import UnprocessablePayload
from service.fhir_json import Json
from service.ingest.heads import BundleHead, Entry, EntryView, Head, Source
from service.ingest.result import IngestResult
from service.ingest.select import select
from service.ingest.walk import walk
from service.json_reader import read_json
from service.terminology import Terminology


def ingest_parsed(body: bytes, terminology: Terminology, max_entries: int) -> IngestResult:
    """The reference path: the whole body parsed with orjson, entries walked as dicts."""
    return ingest_dict(read_json(body), terminology, max_entries)


def ingest_dict(document: object, terminology: Terminology, max_entries: int) -> IngestResult:
    """A Bundle or Parameters already parsed (as JSON objects): the same rules, no bytes."""
    bundle, root = _unwrap(document)
    walked = walk(bundle, root, DICT_SOURCE, max_entries, terminology)
    return select(walked, root, DICT_SOURCE, terminology)


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


def _entries(bundle: object, root: str) -> tuple[Sequence[Entry], BundleHead]:
    """The entries of a Bundle dict, each checked to be an object."""
    assert isinstance(bundle, dict)
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise UnprocessablePayload("Bundle.entry must be an array", expression=[f"{root}.entry"])
    views: list[EntryView] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise UnprocessablePayload(
                "A Bundle entry must be an object",
                code="structure",
                expression=[f"{root}.entry[{i}]"],
            )
        search = entry.get("search")
        resource = entry.get("resource")
        full_url = entry.get("fullUrl")
        views.append(
            EntryView(
                full_url.strip() if isinstance(full_url, str) else None,
                search.get("mode") if isinstance(search, dict) else None,
                entry.get("request"),
                entry.get("response"),
                "absent"
                if resource is None
                else "object"
                if isinstance(resource, dict)
                else "other",
                resource,
            )
        )
    return views, BundleHead(bundle.get("type"), bundle.get("total"), bundle.get("link"))


def _head(resource: object, path: str) -> Head:
    try:
        return msgspec.convert(resource, Head)
    except msgspec.ValidationError:
        raise UnprocessablePayload(
            "Resource.contained must be an array of resources",
            code="structure",
            expression=[f"{path}.contained"],
        ) from None


def _load(resource: object) -> Json:
    assert isinstance(resource, dict)
    return resource


DICT_SOURCE: Final = Source(_entries, _head, _load)
