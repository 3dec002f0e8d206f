"""fhir.resources validation of the kept resources and the required bindings the rules read."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.devicerequest import DeviceRequest
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import BaseModel, ValidationError

from service.errors import Issue, UnprocessablePayload
from service.fhir_json import Json

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
#: Required binding http://hl7.org/fhir/ValueSet/diagnostic-report-status (R4).
DIAGNOSTIC_REPORT_STATUSES: Final = frozenset(
    {
        "registered",
        "partial",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "appended",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
CONDITION_VER_STATUS: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
#: The same codes under their STU3 system, which some EHRs still send.
CONDITION_VER_STATUS_STU3: Final = "http://hl7.org/fhir/condition-ver-status"
#: Codes of CONDITION_VER_STATUS (required binding of Condition.verificationStatus).
CONDITION_VER_STATUSES: Final = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)
_VER_STATUS_SYSTEMS: Final = frozenset({CONDITION_VER_STATUS, CONDITION_VER_STATUS_STU3})

_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    "Patient": Patient,
    "Condition": Condition,
    "Observation": Observation,
    "DiagnosticReport": DiagnosticReport,
    "ServiceRequest": ServiceRequest,
    "MedicationRequest": MedicationRequest,
    "DeviceRequest": DeviceRequest,
    "CommunicationRequest": CommunicationRequest,
}
_FHIR_CODE = re.compile(r"[^\s]+(\s[^\s]+)*")


def validate(resource: Json, path: str, *, contained: bool = False) -> None:
    """422 naming the first fault the R4B model finds. A contained Condition may lack
    its subject: it is about its container's subject."""
    resource_type = str(resource["resourceType"])
    try:
        _MODELS[resource_type].model_validate(resource)
    except ValidationError as exc:
        errors = [
            e
            for e in exc.errors()
            if not _forgiven(e) and not (contained and tuple(e["loc"]) == ("subject",))
        ]
        if not errors:
            return
        issues = [_issue(error, resource_type, path) for error in errors]
        first = UnprocessablePayload(
            issues[0].message, code=issues[0].code, expression=issues[0].expression
        )
        first.more = issues[1:]
        raise first from None


def _issue(error: Mapping[str, Any], resource_type: str, path: str) -> Issue:
    element = _fhirpath(error["loc"])
    where = f"{resource_type}.{element}" if element else resource_type
    if "missing" in error["type"]:
        message = f"Missing required element {where}"
    elif error["type"] == "extra_forbidden":
        message = f"Unknown element {where}"
    else:
        message = f"Invalid value for {where}"
    return Issue(
        message,
        "required" if "missing" in error["type"] else "structure",
        [f"{path}.{element}" if element else path],
    )


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
    resource_type = resource["resourceType"]
    if resource_type == "DiagnosticReport":
        if resource.get("status") not in DIAGNOSTIC_REPORT_STATUSES:
            raise UnprocessablePayload(
                "DiagnosticReport.status is not a diagnostic-report-status code",
                code="code-invalid",
                expression=[f"{path}.status"],
            )
        return
    if resource_type not in ("Condition", "Observation"):
        return  # a request: the rules read nothing a model does not check
    if resource_type == "Observation":
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
    verification_status(resource, path)


def verification_status(condition: Json, path: str = "Condition") -> str | None:
    """The condition-ver-status code of a Condition, or None when it has none.

    Read from the R4 system, the STU3 system or a coding without a system. A
    verificationStatus with none of these (text only, only other systems), with a code
    outside the value set, or with two different codes is a 422: an unreadable status
    must never be guessed to mean present.
    """
    verification = condition.get("verificationStatus")
    if verification is None:
        return None
    where = f"{path}.verificationStatus"
    codings = verification.get("coding") if isinstance(verification, dict) else None
    found: set[str] = set()
    for n, coding in enumerate(codings if isinstance(codings, list) else []):
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        if system is not None and (
            not isinstance(system, str) or system.strip() not in _VER_STATUS_SYSTEMS
        ):
            continue
        if not isinstance(code, str) or code.strip() not in CONDITION_VER_STATUSES:
            raise UnprocessablePayload(
                "Condition.verificationStatus is not a condition-ver-status code",
                code="code-invalid",
                expression=[f"{where}.coding[{n}].code"],
            )
        found.add(code.strip())
    if not found:
        raise UnprocessablePayload(
            "Condition.verificationStatus has no condition-ver-status coding",
            code="code-invalid",
            expression=[where],
        )
    if len(found) > 1:
        raise UnprocessablePayload(
            "Condition.verificationStatus has two different codes",
            code="code-invalid",
            expression=[where],
        )
    return found.pop()
