"""The body of `POST /cds-services/oms-screening`, checked and reduced to what is used.

Lenient where the spec lets clients vary (unknown context keys and `extension` are
ignored; `patientId` written as `Patient/<id>`, as cqf-ruler's fixtures do, is read
as `<id>`), strict where a mistake would mislead: the hook must be `patient-view`,
`hookInstance` and `context.patientId` must be there, `fhirAuthorization` needs a
`fhirServer`. The access token is kept out of `repr` so it cannot reach a log.

The prefetch makes the body large (7.5 MB for 10,000 resources). Like a `$oms-assess`
body, it is decoded by msgspec into a skeleton in which every prefetch resource stays
as bytes, and only the heads of entries (and later the candidates) are read, in short
decodes that let the event loop run in between (bench [7], [8]); a body msgspec might
read otherwise than orjson (`intake.skeleton_safe`), or cannot type, is parsed whole
with the one JSON reader instead, to the same answer and the same errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from service.cds.discovery import HOOK, SERVICE_ID
from service.cds.errors import BadHookRequest
from service.errors import OmsError, UnreadableInput
from service.fhir_json import FHIR_ID, Json
from service.intake import UTF8_BOM, skeleton_safe
from service.intake.prefetch import KnownPrefetch, PrefetchValue, read_known, read_value
from service.json_reader import read_json
from service.security.clients import parse_http_url

_FHIR_ID: Final = re.compile(FHIR_ID)
_MAX_HOOK_INSTANCE: Final = 256


@dataclass(frozen=True, slots=True)
class HookRequest:
    hook_instance: str
    patient_id: str
    fhir_server: str | None
    access_token: str | None = field(repr=False)
    #: Each key's value, read; None when the request has no `prefetch` at all.
    prefetch: Mapping[str, PrefetchValue] | None = field(repr=False)


class _Members(msgspec.Struct):
    """The request's members but the prefetch."""

    hook: Any = None
    hookInstance: Any = None
    fhirServer: Any = None
    fhirAuthorization: Any = None
    context: Any = None


class _HookBody(_Members):
    """The request, its prefetch typed in the same decode (the keys the service asks for)."""

    prefetch: KnownPrefetch | None = None


class _AnyPrefetchHookBody(_Members):
    """The request, each prefetch value kept as bytes: when a value has another shape."""

    prefetch: dict[str, msgspec.Raw] | None = None


_HOOK_BODY: Final = msgspec.json.Decoder(_HookBody)
_ANY_PREFETCH_HOOK_BODY: Final = msgspec.json.Decoder(_AnyPrefetchHookBody)


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or BadHookRequest (400)."""
    try:
        document = read_json(body)
    except UnreadableInput as exc:  # not JSON, not UTF-8, or a number too large to read
        raise BadHookRequest(exc.message, code=exc.code) from None
    except OmsError as exc:
        raise BadHookRequest(exc.message, code="structure") from None
    if not isinstance(document, dict):
        raise BadHookRequest("The request body must be a JSON object", code="structure")
    return document


def parse_hook_request(body: bytes) -> HookRequest:
    """The request, or BadHookRequest (400) naming the first element at fault."""
    document, prefetch = _members(body)
    request = _checked(document)
    return HookRequest(*request, _prefetch_values(prefetch))


def _members(body: bytes) -> tuple[Json, object]:
    """The small members as a dict, and the prefetch: typed (`KnownPrefetch`), bytes per
    key, or (whole-body fall-back) a dict; None if absent."""
    body = body.removeprefix(UTF8_BOM)
    if skeleton_safe(body):
        for decoder in (_HOOK_BODY, _ANY_PREFETCH_HOOK_BODY):
            try:
                members = decoder.decode(body)
            except msgspec.ValidationError:  # a prefetch value of another shape
                continue
            except msgspec.DecodeError:  # not an object, or not JSON: the reader says which
                break
            document = {
                "hook": members.hook,
                "hookInstance": members.hookInstance,
                "fhirServer": members.fhirServer,
                "fhirAuthorization": members.fhirAuthorization,
                "context": members.context,
            }
            return document, members.prefetch
    document = json_object(body)
    return document, document.get("prefetch")


def _prefetch_values(prefetch: object) -> dict[str, PrefetchValue] | None:
    if prefetch is None:
        return None
    if isinstance(prefetch, KnownPrefetch):
        return read_known(prefetch)
    if not isinstance(prefetch, dict):
        raise BadHookRequest("prefetch must be an object", expression=["prefetch"])
    return {key: read_value(value, f"prefetch.{key}") for key, value in prefetch.items()}


def _checked(document: Json) -> tuple[str, str, str | None, str | None]:
    """hookInstance, patientId, fhirServer and the access token, each checked."""
    hook = _string(document, "hook")
    if hook != HOOK:
        raise BadHookRequest(
            f"Service {SERVICE_ID} answers the {HOOK} hook only",
            code="not-supported",
            expression=["hook"],
        )
    hook_instance = _string(document, "hookInstance")
    if len(hook_instance) > _MAX_HOOK_INSTANCE:
        raise BadHookRequest("hookInstance is too long", expression=["hookInstance"])

    context = document.get("context")
    if not isinstance(context, dict):
        raise BadHookRequest(
            "context is required and must be an object", code="required", expression=["context"]
        )
    patient_id = _string(context, "patientId", "context.patientId").strip()
    if patient_id.startswith("Patient/"):
        patient_id = patient_id.removeprefix("Patient/")
    if not _FHIR_ID.fullmatch(patient_id):
        raise BadHookRequest(
            "context.patientId must be a FHIR id", expression=["context.patientId"]
        )

    fhir_server = document.get("fhirServer")
    if fhir_server is not None and (
        not isinstance(fhir_server, str) or parse_http_url(fhir_server) is None
    ):
        raise BadHookRequest(
            "fhirServer must be an absolute http(s) URL", expression=["fhirServer"]
        )
    access_token = _access_token(document.get("fhirAuthorization"), fhir_server)
    return hook_instance, patient_id, fhir_server, access_token


def _access_token(authorization: object, fhir_server: str | None) -> str | None:
    if authorization is None:
        return None
    if not isinstance(authorization, dict):
        raise BadHookRequest(
            "fhirAuthorization must be an object", expression=["fhirAuthorization"]
        )
    if fhir_server is None:
        raise BadHookRequest(
            "fhirAuthorization requires fhirServer", code="required", expression=["fhirServer"]
        )
    token = _string(authorization, "access_token", "fhirAuthorization.access_token")
    token_type = _string(authorization, "token_type", "fhirAuthorization.token_type")
    if token_type.lower() != "bearer":
        raise BadHookRequest(
            "fhirAuthorization.token_type must be Bearer",
            expression=["fhirAuthorization.token_type"],
        )
    if any(c.isspace() or not c.isprintable() for c in token):
        raise BadHookRequest(
            "fhirAuthorization.access_token is malformed",
            expression=["fhirAuthorization.access_token"],
        )
    return token


def _string(parent: Json, key: str, path: str | None = None) -> str:
    where = path or key
    value = parent.get(key)
    if value is None:
        raise BadHookRequest(f"{where} is required", code="required", expression=[where])
    if not isinstance(value, str) or not value.strip():
        raise BadHookRequest(f"{where} must be a non-empty string", expression=[where])
    return value
