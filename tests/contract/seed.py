"""Seeding data into the contract server by transaction: OMS examples and Synthea patients.

Every seeded resource is POSTed (server-assigned ids), so the suite runs again and again
against a long-lived HAPI: ids are learnt from the transaction response only.
"""

from __future__ import annotations

import copy
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

from service.clients.fhir import Location, parse_location

Json = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SYNTHEA = ROOT.parent / "shared" / "fhir-corpus" / "synthea" / "fhir-data-pipes"
#: Batch Bundles of the Organizations, Locations and Practitioners the patients refer to.
SYNTHEA_SUPPORT = (
    "hospitalInformation1633536936158.json",
    "practitionerInformation1633536936158.json",
)
#: Two small Synthea patients: 30 Observations and no Condition; 154 and 3.
SYNTHEA_PATIENTS = {
    "bob": "Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json",
    "lawrence": "Lawrence741_Hammes673_6d44fe03-2478-a82d-7495-3a7c433ed921.json",
}
RUN_SYSTEM = "urn:oms-cds:contract-run"
_CONDITIONAL = re.compile(r'"reference":"([A-Z][A-Za-z]+)\?identifier=([^"|]+)\|([^"]+)"')
_URN = re.compile(r'"reference":"(urn:uuid:[^"]+)"')


def post_transaction(fhir: httpx.Client, bundle: Json) -> list[Location]:
    """POST a transaction; the Location of each entry, in entry order (fails loudly)."""
    response = fhir.post("", content=orjson.dumps(bundle))
    assert response.status_code == 200, response.text[:500]
    answer = response.json()
    assert answer["type"] == "transaction-response"
    assert len(answer["entry"]) == len(bundle["entry"])
    locations = []
    for entry in answer["entry"]:
        assert entry["response"]["status"].split()[0] in ("200", "201")
        location = parse_location(entry["response"]["location"])
        assert location is not None
        locations.append(location)
    return locations


def oms_transaction(name: str, run: str) -> Json:
    """examples/<name>.json as a transaction of POSTs, ids dropped, the Patient tagged with run."""
    bundle = orjson.loads((EXAMPLES / f"{name}.json").read_bytes())
    entries = []
    for entry in bundle["entry"]:
        resource = copy.deepcopy(entry["resource"])
        resource.pop("id", None)
        if resource["resourceType"] == "Patient":
            resource["identifier"] = [{"system": RUN_SYSTEM, "value": f"{name}-{run}"}]
        entries.append(
            {
                "fullUrl": entry["fullUrl"],
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def synthea_support_transaction(patient_bundles: list[Json]) -> Json:
    """Only the Organizations/Locations/Practitioners the patients' conditional references need.

    Each is a conditional create on its identifier, as Synthea's own batch has it, so
    seeding twice into the same server creates nothing new.
    """
    wanted = {
        (m[1], m[2], m[3])
        for bundle in patient_bundles
        for m in _CONDITIONAL.finditer(orjson.dumps(bundle).decode())
    }
    by_url: dict[str, Json] = {}
    chosen: dict[str, Json] = {}
    for name in SYNTHEA_SUPPORT:
        for entry in orjson.loads((SYNTHEA / name).read_bytes())["entry"]:
            by_url[entry["fullUrl"]] = entry
            resource = entry["resource"]
            for identifier in resource.get("identifier") or []:
                if (resource["resourceType"], identifier["system"], identifier["value"]) in wanted:
                    chosen[entry["fullUrl"]] = entry
    pending = list(chosen.values())
    while pending:  # anything they point at by urn:uuid must come along
        for urn in _URN.findall(orjson.dumps(pending.pop()["resource"]).decode()):
            if urn in by_url and urn not in chosen:
                chosen[urn] = by_url[urn]
                pending.append(by_url[urn])
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(chosen.values())}


def synthea_patient(key: str) -> Json:
    bundle: Json = orjson.loads((SYNTHEA / SYNTHEA_PATIENTS[key]).read_bytes())
    return bundle


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]
