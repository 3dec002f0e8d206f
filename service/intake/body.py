"""A posted body (a Bundle, or a Parameters with a `bundle` part) -> its top-level records.

Memory: the body is decoded with msgspec into a skeleton in which each entry's resource
stays as its bytes (`msgspec.Raw`, no copy); the walk then reads a small head of each,
and only the Patients and the candidates are parsed (bench [3]: the whole tree was ~4.6x
the body, orjson's own copy ~2.3x more). A body the guards find msgspec might read
otherwise than orjson (`guards`: nesting, UTF-8), or whose skeleton msgspec cannot
type, is parsed whole with orjson instead: its records hold dicts, and the same walk
reads them. Numbers too large for a double are the one difference between the two
readings, kept on purpose (`guards`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, NoReturn

import msgspec

from service.errors import UnprocessablePayload
from service.fhir_json import Json
from service.intake.entries import RawBundle, dict_entries, raw_entries
from service.intake.guards import skeleton_safe
from service.intake.record import BundleHead, Record
from service.json_reader import read_json


class _Part(msgspec.Struct):
    name: Any = None
    resource: RawBundle | None = None


class Skeleton(RawBundle):
    """A Bundle, or a Parameters whose parts' resources are read as Bundles."""

    parameter: list[_Part] = msgspec.field(default_factory=list)


_SKELETON: Final = msgspec.json.Decoder(Skeleton)


def top_records(body: bytes) -> tuple[list[Record], BundleHead, str]:
    """The entries of the body's Bundle, what it says of itself, and the FHIRPath of its
    root in the request (`Bundle`, or `Parameters.parameter[k].resource`).

    Raises UnreadableInput (400) for bytes that are not JSON, PayloadTooLarge (413) past
    the depth limit, UnprocessablePayload (422) for JSON that is no such payload."""
    skeleton = decode_skeleton(body)
    if skeleton is not None:
        return skeleton_records(skeleton)
    return whole_records(read_json(body))


def decode_skeleton(body: bytes) -> Skeleton | None:
    """The body as a skeleton, or None where only a whole-body parse answers exactly."""
    if not skeleton_safe(body):
        return None
    try:
        return _SKELETON.decode(body)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None


def skeleton_records(skeleton: Skeleton) -> tuple[list[Record], BundleHead, str]:
    """`whole_records` of a skeleton (a non-object anywhere it reads is no skeleton)."""
    resource_type = skeleton.resourceType
    if resource_type == "Bundle":
        return (*raw_entries(skeleton, "Bundle"), "Bundle")
    refuse_unless_parameters(resource_type)
    k = the_bundle_part([k for k, p in enumerate(skeleton.parameter) if p.name == "bundle"])
    bundle = skeleton.parameter[k].resource
    if bundle is None or bundle.resourceType != "Bundle":
        refuse_non_bundle_part(k)
    root = f"Parameters.parameter[{k}].resource"
    return (*raw_entries(bundle, root), root)


def whole_records(document: object) -> tuple[list[Record], BundleHead, str]:
    """The records of a body parsed whole (the fall-back, and dicts built in-process)."""
    bundle, root = _unwrap(document)
    return (*dict_entries(bundle, root), root)


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
