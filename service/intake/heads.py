"""What intake reads of every resource, and the one decoder that reads it.

`Head` holds the few elements that selection, versions and the patient-identity check
need; the rest of a resource stays unparsed (bytes) or untouched (a dict). `read_head`
is the only place a head is made: msgspec decodes it from a resource's bytes, or
converts it from a resource's dict, so every rule after it is written once. Its one
fallback: bytes msgspec cannot type are parsed with orjson (`parse_resource`) and read
as a dict, which gives the same answer or the same error as a whole-body parse.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
import orjson

from service.errors import UnprocessablePayload
from service.fhir_json import Json
from service.json_reader import refusal

#: A resource as a source holds it: still the request's bytes, or parsed.
Resource = msgspec.Raw | Json


class Coding(msgspec.Struct, gc=False):
    """A Coding's system and code (any JSON: the rules use only strings); the rest skipped."""

    system: Any = None
    code: Any = None


#: Any JSON value but an object: with one Struct in a union, every JSON value decodes, so a
#: malformed element never fails the head (the rules then find no code in it).
_NotAnObject = list[Any] | str | int | float | bool | None


class Concept(msgspec.Struct, gc=False):
    """A CodeableConcept's codings, typed: decoding skips displays and text in C, and the
    walk reads attributes, not dicts (an Observation's codes are most of a large request)."""

    coding: list[Coding | _NotAnObject] | dict[str, Any] | str | int | float | bool | None = None


ConceptElement = Concept | _NotAnObject
ConceptList = list[ConceptElement] | dict[str, Any] | str | int | float | bool | None


class Component(msgspec.Struct, gc=False):
    """An Observation component's code and coded value."""

    code: ConceptElement = None
    valueCodeableConcept: ConceptElement = None


class Reference(msgspec.Struct, gc=False):
    """A patient reference's `reference`, `identifier` and `type` (what identity reads; any
    JSON), typed so that the subject of every resource is no dict the collector tracks."""

    reference: Any = None
    identifier: Any = None
    type: Any = None

    def as_json(self) -> Json:
        """The reference as the dict identity checks (the keys it reads)."""
        found: Json = {"reference": self.reference}
        if self.identifier is not None:
            found["identifier"] = self.identifier
        if self.type is not None:
            found["type"] = self.type
        return found


#: A patient-reference element: a Reference, or any other JSON (a repeating element's
#: list, or something malformed that identity refuses).
ReferenceElement = Reference | list[Any] | str | int | float | bool | None


class Head(msgspec.Struct, gc=False):
    """A resource's type, identity, version, codes, patient references and contained heads.

    The coded elements are typed (`Concept`) but accept any JSON; the others stay as JSON."""

    resourceType: Any = None
    id: Any = None
    meta: Any = None
    code: ConceptElement = None
    valueCodeableConcept: ConceptElement = None
    component: list[Component | _NotAnObject] | dict[str, Any] | str | int | float | bool | None = (
        None
    )
    conclusionCode: ConceptList = None
    reasonCode: ConceptList = None
    status: Any = None
    intent: Any = None
    medicationCodeableConcept: ConceptElement = None
    medicationReference: Any = None
    subject: ReferenceElement = None
    patient: ReferenceElement = None
    focus: ReferenceElement = None
    identifier: Any = None
    birthDate: Any = None
    contained: list[Head] | None = None

    @property
    def type(self) -> str | None:
        return self.resourceType if isinstance(self.resourceType, str) else None

    @property
    def ident(self) -> str | None:
        return self.id if isinstance(self.id, str) and self.id else None


_HEAD: Final = msgspec.json.Decoder(Head)


def read_head(resource: Resource, root: str, entry: int) -> tuple[Head, Resource]:
    """The resource's head, and the resource as it is best kept (a dict when its bytes had
    to be parsed). 422 naming `<root>.entry[<entry>].resource.contained` when `contained`
    is no array of resources (the path is made then only: this runs for every resource)."""
    if isinstance(resource, msgspec.Raw):
        try:
            return _HEAD.decode(resource), resource
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            resource = parse_resource(resource, f"{root}.entry[{entry}].resource")
    try:
        return msgspec.convert(resource, Head), resource
    except msgspec.ValidationError:
        raise UnprocessablePayload(
            "Resource.contained must be an array of resources",
            code="structure",
            expression=[f"{root}.entry[{entry}].resource.contained"],
        ) from None


def head_or_none(raw: msgspec.Raw) -> Head | None:
    """The head of bytes read ahead of the walk (a prefetch's entries, to sort them), or
    None where msgspec cannot type it: the walk's `read_head` then takes its fallback."""
    try:
        return _HEAD.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None


def whole(resource: Resource, where: str) -> Json:
    """The whole resource as a dict (parsed here when it is still bytes); `where`, its
    path, names it in the error."""
    if isinstance(resource, msgspec.Raw):
        return parse_resource(resource, where)
    return resource


def parse_resource(raw: msgspec.Raw, where: str) -> Json:
    """A resource's bytes parsed with orjson, with the JSON reader's errors naming `where`:
    msgspec has read them as an object already, so the one error left is a number too
    large for a double in an element msgspec skipped (`guards`)."""
    parsed: Json = parse_part(raw, where)
    return parsed


def parse_part(raw: msgspec.Raw, where: str) -> Any:
    """Any part of the request kept as bytes (a resource, a prefetch value, an entry's
    request), parsed with orjson; errors as `parse_resource`'s."""
    try:
        return orjson.loads(memoryview(raw))
    except orjson.JSONDecodeError as exc:
        raise refusal(exc, where) from None
