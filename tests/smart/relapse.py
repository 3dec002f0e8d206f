"""A child back in relapse, with three agents over two episodes: the course-of-treatment view.

Dates are relative to `today` (the service and the browser both read the clock): OMS first
recorded ~2 years ago and treated with prednisolone and rituximab, in remission for a year,
back in relapse 45 days ago; IVIG given 30 days ago, prednisolone since 20 days ago; speech
therapy ordered for next week. Two codings come without a display (the neuroblastoma and
the prednisolone of this episode), so the app must find their words in the service's
terminology; paracetamol is no OMS agent (one medication record not classified).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

Json = dict[str, Any]
SCT = "http://snomed.info/sct"
HPO = "http://human-phenotype-ontology.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PATIENT = "Patient/relapse-child"


@dataclass(frozen=True)
class Dates:
    """The course's dates as FHIR dates, for the seed and for the assertions."""

    today: date

    def ago(self, days: int) -> str:
        return (self.today - timedelta(days=days)).isoformat()

    @property
    def onset(self) -> str:
        return self.ago(700)

    @property
    def remission(self) -> str:
        return self.ago(400)

    @property
    def relapse(self) -> str:
        return self.ago(45)

    @property
    def ivig(self) -> str:
        return self.ago(30)

    @property
    def prednisolone(self) -> str:
        return self.ago(20)

    @property
    def first_steroid(self) -> tuple[str, str]:
        return self.ago(690), self.ago(600)

    @property
    def rituximab(self) -> tuple[str, str]:
        return self.ago(660), self.ago(640)

    @property
    def speech_therapy(self) -> str:
        return self.ago(-7)


def _concept(system: str, code: str, display: str | None = None) -> Json:
    coding = {"system": system, "code": code} | ({"display": display} if display else {})
    return {"coding": [coding]}


def _condition(id: str, code: Json, status: str, **dates: str) -> Json:
    return {
        "resourceType": "Condition",
        "id": id,
        "clinicalStatus": _concept(CLINICAL, status),
        "verificationStatus": _concept(VERIFICATION, "confirmed"),
        "code": code,
        "subject": {"reference": PATIENT},
        **dates,
    }


def _finding(id: str, code: Json, day: str) -> Json:
    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": _concept(SCT, "404684003", "Clinical finding"),
        "subject": {"reference": PATIENT},
        "effectiveDateTime": day,
        "valueCodeableConcept": code,
    }


def resources(dates: Dates) -> list[Json]:
    d = dates
    oms = _concept(SCT, "230350000", "Opsoclonus-myoclonus syndrome")
    opsoclonus = _concept(HPO, "HP:0010543", "Opsoclonus")
    first_steroid, rituximab = d.first_steroid, d.rituximab
    return [
        {
            "resourceType": "Patient",
            "id": "relapse-child",
            "name": [{"given": ["Theo"], "family": "Marsh"}],
            "gender": "male",
            "birthDate": dates.today.replace(year=dates.today.year - 4).isoformat(),
        },
        _condition(
            "relapse-oms-first",
            oms,
            "remission",
            onsetDateTime=d.onset,
            abatementDateTime=d.remission,
        ),
        _condition("relapse-oms-now", oms, "relapse", onsetDateTime=d.relapse),
        _condition("relapse-nb", _concept(SCT, "432328008"), "active", onsetDateTime=d.ago(690)),
        _condition(
            "relapse-myoclonus",
            _concept(ICD10CM, "G25.3", "Myoclonus"),
            "active",
            onsetDateTime=d.onset,
        ),
        _finding("relapse-eyes-first", opsoclonus, d.onset),
        _finding("relapse-eyes-now", opsoclonus, d.relapse),
        {
            "resourceType": "Observation",
            "id": "relapse-sleep",
            "status": "final",
            "code": _concept(HPO, "HP:0100785", "Insomnia"),
            "subject": {"reference": PATIENT},
            "effectiveDateTime": d.relapse,
            "valueBoolean": True,
        },
        _request(
            "relapse-pred-first",
            _concept(RXNORM, "8638", "prednisolone"),
            "completed",
            *first_steroid,
        ),
        {
            "resourceType": "MedicationStatement",
            "id": "relapse-rtx",
            "status": "completed",
            "medicationCodeableConcept": _concept(RXNORM, "121191", "rituximab"),
            "subject": {"reference": PATIENT},
            "effectivePeriod": {"start": rituximab[0], "end": rituximab[1]},
        },
        {
            "resourceType": "Medication",
            "id": "relapse-ivig-product",
            "code": _concept(RXNORM, "5666", "immune globulin G"),
        },
        {
            "resourceType": "MedicationAdministration",
            "id": "relapse-ivig",
            "status": "completed",
            "medicationReference": {"reference": "Medication/relapse-ivig-product"},
            "subject": {"reference": PATIENT},
            "effectiveDateTime": d.ivig,
        },
        _request("relapse-pred-now", _concept(RXNORM, "8638"), "active", d.prednisolone, None),
        _request(
            "relapse-paracetamol",
            _concept(RXNORM, "161", "acetaminophen"),
            "active",
            d.prednisolone,
            None,
        ),
        {
            "resourceType": "ServiceRequest",
            "id": "relapse-speech",
            "status": "active",
            "intent": "order",
            "code": _concept(SCT, "5154007", "Speech therapy"),
            "subject": {"reference": PATIENT},
            "occurrenceDateTime": d.speech_therapy,
        },
    ]


def _request(id: str, medication: Json, status: str, start: str, end: str | None) -> Json:
    bounds = {"start": start} | ({"end": end} if end else {})
    return {
        "resourceType": "MedicationRequest",
        "id": id,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": medication,
        "subject": {"reference": PATIENT},
        "authoredOn": start,
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}],
    }


def transaction(dates: Dates) -> Json:
    """PUTs with these ids, so the references stay readable in the screenshots."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"{r['resourceType']}/{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources(dates)
        ],
    }
