"""fhir.resources validation of the kept resources and the required bindings the rules read."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from pydantic import BaseModel, ValidationError

from service.errors import UnprocessablePayload
from service.ingest.result import Json

#: Required binding http://hl7.org/fhir/ValueSet/observation-status (R4).
OBSERVATION_STATUSES: Final = frozenset(
    {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
CONDITION_VER_STATUS: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
#: Codes of CONDITION_VER_STATUS (required binding of Condition.verificationStatus).
CONDITION_VER_STATUSES: Final = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)

_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    "Patient": Patient,
    "Condition": Condition,
    "Observation": Observation,
}
_FHIR_CODE = re.compile(r"[^\s]+(\s[^\s]+)*")


def validate(resource: Json, path: str) -> None:
    resource_type = str(resource["resourceType"])
    try:
        _MODELS[resource_type].model_validate(resource)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if not _forgiven(e)]
        if not errors:
            return
        first = errors[0]
        element = _fhirpath(first["loc"])
        where = f"{resource_type}.{element}" if element else resource_type
        if "missing" in first["type"]:
            message = f"Missing required element {where}"
        elif first["type"] == "extra_forbidden":
            message = f"Unknown element {where}"
        else:
            message = f"Invalid value for {where}"
        raise UnprocessablePayload(
            message,
            code="required" if "missing" in first["type"] else "structure",
            expression=[f"{path}.{element}" if element else path],
        ) from None


def _forgiven(error: Mapping[str, Any]) -> bool:
    """Whitespace around a Coding's code or system, which DESIGN.md says to ignore."""
    loc = error["loc"]
    value = error.get("input")
    return (
        error["type"] == "string_pattern_mismatch"
        and len(loc) >= 3
        and loc[-1] in ("code", "system")
        and loc[-3] == "coding"
        and isinstance(value, str)
        and _FHIR_CODE.fullmatch(value.strip()) is not None
    )


def _fhirpath(loc: Sequence[int | str]) -> str:
    """('code', 'coding', 0, 'system') -> 'code.coding[0].system'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}" if path else part
    return path


def check_bindings(resource: Json, path: str) -> None:
    """The required bindings the rules read, which the models do not check."""
    if resource["resourceType"] == "Observation":
        if resource.get("status") not in OBSERVATION_STATUSES:
            raise UnprocessablePayload(
                "Observation.status is not an observation-status code",
                code="code-invalid",
                expression=[f"{path}.status"],
            )
        if "valueBoolean" in resource and not isinstance(resource["valueBoolean"], bool):
            raise UnprocessablePayload(
                "Observation.valueBoolean must be a JSON boolean",
                code="structure",
                expression=[f"{path}.valueBoolean"],
            )
        return
    verification = resource.get("verificationStatus") or {}
    for n, coding in enumerate(verification.get("coding") or []):
        system, code = coding.get("system"), coding.get("code")
        if (
            isinstance(system, str)
            and system.strip() == CONDITION_VER_STATUS
            and (not isinstance(code, str) or code.strip() not in CONDITION_VER_STATUSES)
        ):
            raise UnprocessablePayload(
                "Condition.verificationStatus is not a condition-ver-status code",
                code="code-invalid",
                expression=[f"{path}.verificationStatus.coding[{n}].code"],
            )
