"""Reading one built conformance resource from `profiles/`, refusing the start when it is
missing or is not what its name says (a partial rule set must never run)."""

from __future__ import annotations

from pathlib import Path

import orjson

from service.errors import TerminologyError
from service.fhir_json import Json


def read_resource(path: Path, resource_type: str) -> Json:
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise TerminologyError(f"terminology file {path} is missing") from None
    except orjson.JSONDecodeError as exc:
        raise TerminologyError(f"terminology file {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("resourceType") != resource_type:
        raise TerminologyError(f"terminology file {path} is not a {resource_type}")
    return data
