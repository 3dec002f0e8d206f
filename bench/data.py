"""Synthetic, Synthea-shaped request bodies: deterministic for a given size and seed.

Entries look like Synthea R4 output (urn:uuid fullUrls, US Core vital-sign and lab
Observations with LOINC codes, valueQuantity or components, Encounter references) so
the parse and walk costs are those of real EHR exports. A few OMS criterion hits are
mixed in (neuroblastoma Condition, opsoclonus and myoclonus Observations) so that the
service does the whole job, CarePlan included, not only "nothing found".
"""

from __future__ import annotations

import os
import random
import re
import uuid
from pathlib import Path
from typing import Any

import orjson

Json = dict[str, Any]

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
HPO = "http://human-phenotype-ontology.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

#: (LOINC code, display, unit, low, high): Synthea's commonest quantity Observations.
VITALS = (
    ("8302-2", "Body Height", "cm", 50.0, 190.0),
    ("29463-7", "Body Weight", "kg", 3.0, 110.0),
    ("39156-5", "Body Mass Index", "kg/m2", 14.0, 40.0),
    ("8867-4", "Heart rate", "/min", 50.0, 160.0),
    ("9279-1", "Respiratory rate", "/min", 10.0, 40.0),
    ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}", 0, 10),
)
LABS = (
    ("2339-0", "Glucose", "mg/dL", 60.0, 140.0),
    ("6299-2", "Urea nitrogen", "mg/dL", 7.0, 20.0),
    ("38483-4", "Creatinine", "mg/dL", 0.3, 1.3),
    ("49765-1", "Calcium", "mg/dL", 8.5, 10.5),
    ("2947-0", "Sodium", "mmol/L", 135.0, 145.0),
    ("6298-4", "Potassium", "mmol/L", 3.5, 5.1),
)


def _urn(rng: random.Random) -> str:
    return f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _when(rng: random.Random) -> str:
    return (
        f"20{rng.randint(10, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+00:00"
    )


def _quantity(rng: random.Random, unit: str, low: float, high: float) -> Json:
    return {
        "value": round(rng.uniform(low, high), 3),
        "unit": unit,
        "system": UCUM,
        "code": unit,
    }


def _observation(rng: random.Random, subject: str, encounter: str) -> Json:
    urn = _urn(rng)
    kind = rng.random()
    when = _when(rng)
    resource: Json = {
        "resourceType": "Observation",
        "id": urn.removeprefix("urn:uuid:"),
        "status": "final",
        "category": [],
        "code": {},
        "subject": {"reference": subject},
        "encounter": {"reference": encounter},
        "effectiveDateTime": when,
        "issued": when.replace("+00:00", ".123+00:00"),
    }
    if kind < 0.12:
        resource["category"] = [_category("vital-signs", "vital-signs")]
        resource["code"] = {
            "coding": [{"system": LOINC, "code": "85354-9", "display": "Blood Pressure"}],
            "text": "Blood Pressure",
        }
        resource["component"] = [
            {
                "code": {
                    "coding": [{"system": LOINC, "code": code, "display": display}],
                    "text": display,
                },
                "valueQuantity": _quantity(rng, "mm[Hg]", low, high),
            }
            for code, display, low, high in (
                ("8462-4", "Diastolic Blood Pressure", 60.0, 90.0),
                ("8480-6", "Systolic Blood Pressure", 90.0, 140.0),
            )
        ]
    elif kind < 0.18:
        resource["category"] = [_category("social-history", "social-history")]
        resource["code"] = {
            "coding": [{"system": LOINC, "code": "72166-2", "display": "Tobacco smoking status"}],
            "text": "Tobacco smoking status",
        }
        resource["valueCodeableConcept"] = {
            "coding": [{"system": SCT, "code": "266919005", "display": "Never smoker"}],
            "text": "Never smoker",
        }
    else:
        table, category = (VITALS, "vital-signs") if kind < 0.6 else (LABS, "laboratory")
        code, display, unit, low, high = rng.choice(table)
        resource["category"] = [_category(category, category.replace("-", " ").title())]
        resource["code"] = {"coding": [{"system": LOINC, "code": code, "display": display}]}
        resource["code"]["text"] = display
        resource["valueQuantity"] = _quantity(rng, unit, low, high)
    return {
        "fullUrl": urn,
        "resource": resource,
        "request": {"method": "POST", "url": "Observation"},
    }


def _category(code: str, display: str) -> Json:
    return {"coding": [{"system": OBS_CATEGORY, "code": code, "display": display}]}


def _patient(urn: str) -> Json:
    return {
        "fullUrl": urn,
        "resource": {
            "resourceType": "Patient",
            "id": urn.removeprefix("urn:uuid:"),
            "name": [{"use": "official", "family": "Synthetic", "given": ["Bench"]}],
            "gender": "female",
            "birthDate": "2024-05-14",
        },
        "request": {"method": "POST", "url": "Patient"},
    }


def _encounter(rng: random.Random, subject: str) -> Json:
    urn = _urn(rng)
    return {
        "fullUrl": urn,
        "resource": {
            "resourceType": "Encounter",
            "id": urn.removeprefix("urn:uuid:"),
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "AMB",
            },
            "type": [
                {
                    "coding": [{"system": SCT, "code": "410620009", "display": "Well child visit"}],
                    "text": "Well child visit",
                }
            ],
            "subject": {"reference": subject},
            "period": {"start": _when(rng), "end": _when(rng)},
        },
        "request": {"method": "POST", "url": "Encounter"},
    }


def oms_hits(subject: str) -> list[Json]:
    """Three criteria met (high risk): a neuroblastoma, opsoclonus and myoclonus."""
    condition = {
        "resourceType": "Condition",
        "id": "bench-nb",
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VER, "code": "confirmed"}]},
        "code": {"coding": [{"system": SCT, "code": "281562007", "display": "Adrenal NB"}]},
        "subject": {"reference": subject},
    }
    opsoclonus = {
        "resourceType": "Observation",
        "id": "bench-opsoclonus",
        "status": "final",
        "code": {"coding": [{"system": SCT, "code": "404684003", "display": "Clinical finding"}]},
        "subject": {"reference": subject},
        "valueCodeableConcept": {"coding": [{"system": HPO, "code": "HP:0010543"}]},
    }
    myoclonus = {
        "resourceType": "Observation",
        "id": "bench-myoclonus",
        "status": "final",
        "code": {"coding": [{"system": SCT, "code": "17450006", "display": "Myoclonus"}]},
        "subject": {"reference": subject},
        "valueBoolean": True,
    }
    return [
        {"fullUrl": f"urn:uuid:{r['id']}", "resource": r}
        for r in (condition, opsoclonus, myoclonus)
    ]


def synthea_bundle(
    entries: int, *, seed: int = 6, encounter_every: int = 25, hits: bool = True
) -> Json:
    """A transaction Bundle of `entries` entries: one Patient, Encounters, Observations and,
    if `hits`, three OMS criterion hits."""
    rng = random.Random(seed)
    subject = _urn(rng)
    out = [_patient(subject)]
    hits_ = oms_hits(subject) if hits else []
    encounter = _encounter(rng, subject)["fullUrl"]
    while len(out) < entries - len(hits_):
        if len(out) % encounter_every == 1:
            entry = _encounter(rng, subject)
            encounter = entry["fullUrl"]
            out.append(entry)
        else:
            out.append(_observation(rng, subject, encounter))
    # Spread the hits through the bundle, as an EHR export would.
    for n, hit in enumerate(hits_):
        out.insert((n + 1) * len(out) // (len(hits_) + 1), hit)
    return {"resourceType": "Bundle", "type": "transaction", "entry": out[:entries]}


def synthea_body(entries: int, *, seed: int = 6, hits: bool = True) -> bytes:
    return orjson.dumps(synthea_bundle(entries, seed=seed, hits=hits))


def body_of_size(target_bytes: int, *, seed: int = 6) -> bytes:
    """A Synthea-like body of about `target_bytes` (within a few percent)."""
    probe = len(synthea_body(2000, seed=seed)) / 2000
    return synthea_body(max(10, round(target_bytes / probe)), seed=seed)


CORPUS_PATIENT = (
    "synthea/fhir-data-pipes/Lawerence6_Baumbach677_ea8d2576-4a23-4906-c353-bfed5adb23bd.json"
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def corpus_dir() -> Path:
    """`../shared/fhir-corpus` beside the checkout, or under `OMS_SHARED_DIR`."""
    root = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("OMS_SHARED_DIR") or root.parent / "shared") / "fhir-corpus"


def real_synthea_body(target_bytes: int) -> bytes | None:
    """A real Synthea patient's records (all resource types) repeated to ~`target_bytes`.

    Every copy gets its own ids (each UUID but the patient's is rewritten), so it is one
    patient with a long history. None if the corpus is not there.
    """
    path = corpus_dir() / CORPUS_PATIENT
    if not path.exists():
        return None
    document = orjson.loads(path.read_bytes())
    entries = document["entry"]
    patient = next(e for e in entries if e["resource"]["resourceType"] == "Patient")
    keep = patient["resource"]["id"]
    rest = orjson.dumps([e for e in entries if e is not patient]).decode()[1:-1]
    copies = max(1, round(target_bytes / len(rest)))

    def copy(k: int) -> str:
        return _UUID.sub(lambda m: m[0] if m[0] == keep else f"{k:08x}{m[0][8:]}", rest)

    parts = [orjson.dumps(patient).decode(), *(copy(k) for k in range(copies))]
    head = '{"resourceType":"Bundle","type":"transaction","entry":['
    return (head + ",".join(parts) + "]}").encode()


#: The FHIR server a prefetch is said to come from (its fullUrls; nothing is ever called).
EHR_BASE = "https://ehr.example/fhir"
#: Replaced per call, so that every hook call carries its own hookInstance.
HOOK_INSTANCE = "00000000-0000-4000-8000-000000000000"


def patient_view_case(resources: int, *, seed: int = 6) -> tuple[bytes, bytes]:
    """(patient-view request, `$oms-assess` Bundle) over the same `resources` resources.

    The Synthea-like records without their Encounters: one Patient, the Conditions and the
    Observations, subjects written `Patient/<id>` and fullUrls on the EHR's base, as a FHIR
    server's search results say them. The hook carries them as prefetch (`patient`, the
    `conditions` and `observations` searchsets, and `observationsByValue` holding the one
    Observation whose value is the finding, so it also comes twice, as from a real server);
    the Bundle (type collection) holds each resource once.
    """
    bundle = synthea_bundle(resources + resources // 20 + 10, seed=seed)
    kept = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] != "Encounter"]
    hits = {e["resource"]["id"] for e in oms_hits("")}
    # Truncate, keeping the three hits (spread through the first three quarters anyway).
    chosen = kept[:resources]
    missing = [r for r in kept[resources:] if r["id"] in hits]
    if missing:
        chosen = [r for r in chosen[: resources - len(missing)] if r["id"] not in hits]
        chosen += missing
    patient = chosen[0]
    reference = f"Patient/{patient['id']}"
    for resource in chosen[1:]:
        resource["subject"] = {"reference": reference}
        resource.pop("encounter", None)

    def entry(resource: Json) -> Json:
        return {"fullUrl": f"{EHR_BASE}/{resource['resourceType']}/{resource['id']}",
                "resource": resource}  # fmt: skip

    def searchset(found: list[Json]) -> Json:
        return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                "entry": [{**entry(r), "search": {"mode": "match"}} for r in found]}  # fmt: skip

    conditions = [r for r in chosen if r["resourceType"] == "Condition"]
    observations = [r for r in chosen if r["resourceType"] == "Observation"]
    by_value = [r for r in observations if "valueCodeableConcept" in r and r["id"] in hits]
    hook = {
        "hook": "patient-view",
        "hookInstance": HOOK_INSTANCE,
        "context": {"userId": "Practitioner/bench", "patientId": patient["id"]},
        "prefetch": {
            "patient": patient,
            "conditions": searchset(conditions),
            "observations": searchset(observations),
            "observationsByValue": searchset(by_value),
        },
    }
    document = {"resourceType": "Bundle", "type": "collection", "entry": [entry(r) for r in chosen]}
    return orjson.dumps(hook), orjson.dumps(document)
