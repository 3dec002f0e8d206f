"""Provenance for what one assessment produced: who made it, from which evidence."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from html import escape
from importlib.metadata import PackageNotFoundError, version

from service.fhir_json import Json
from service.mappers.references import reference_to

DEVICE_ID = "oms-cds"


@cache
def service_version() -> str:
    """The installed package's version, read once: reading metadata cost ~0.8 ms a call."""
    try:
        return version("oms-cds")
    except PackageNotFoundError:
        return "0+unknown"


def build_provenance(targets: Iterable[str], evidence: Iterable[str], now: str) -> Json:
    """Provenance whose targets are the produced resources and whose entities the inputs.

    The agent is the service itself, a contained Device, so the Provenance needs no
    Device resource on any server.
    """
    entities = [{"role": "source", "what": reference_to(ref)} for ref in dict.fromkeys(evidence)]
    return {
        "resourceType": "Provenance",
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Produced by oms-cds '
            f"{escape(service_version())} from {len(entities)} input resource(s).</p></div>",
        },
        "contained": [
            {
                "resourceType": "Device",
                "id": DEVICE_ID,
                "deviceName": [{"name": "oms-cds", "type": "manufacturer-name"}],
                "version": [{"value": service_version()}],
            }
        ],
        "target": [{"reference": ref} for ref in targets],
        "recorded": now,
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                    "code": "CREATE",
                    "display": "create",
                }
            ]
        },
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                            "code": "author",
                            "display": "Author",
                        }
                    ]
                },
                "who": {"reference": f"#{DEVICE_ID}", "display": "oms-cds decision support"},
            }
        ],
        **({"entity": entities} if entities else {}),
    }
