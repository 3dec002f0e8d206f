"""Read one patient's data from a FHIR server: the Patient, its Conditions, its Observations.

The one place that says how a patient is read, for both readers: `Patient/{id}/$oms-assess`
(`patient_resources`) and the CDS Hooks prefetch fallback (`read_patient`, and the
`NARROWED` searches, which are also the prefetch templates the service asks the EHR for).

Strategy (measured, docs/FHIR_SERVER.md): whole-patient searches first, at up to 1,000 a
page, since only they bring everything the rules read (components, contained results,
findings under any question); on HAPI the 846-Observation Synthea patient takes 0.3-0.6 s
in one page of 1,000 against 1.3-2.0 s in five of 200. A record too long for the client's
caps (entries, pages or bytes) is not refused: it is read again through code-narrowed
searches (`code`, and `value-concept` for Observations) that bring only what can be
evidence, so a patient with tens of thousands of Observations is still assessed
(0.09-0.17 s on HAPI for the same patient). The CDS fallback reads only the narrowed
searches: the EHR waits about half a second for the whole hook.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

from service.clients.fhir import Fault, FhirClient, FhirServerError
from service.errors import NotFound
from service.fhir_json import Json
from service.intake import Record
from service.intake.prefetch import PrefetchValue, read_page
from service.terminology import Terminology

#: Page size asked for: HAPI and sekmet both honour 1,000 (neither has a maximum).
PAGE_SIZE: Final = "1000"
#: Codes in one narrowed record search (its URL stays near 1 kB).
CODES_PER_SEARCH: Final = 100


@dataclass(frozen=True, slots=True)
class NarrowedSearch:
    """A search for one patient's resources of a type whose `parameter` (a token search
    parameter) is any criterion or diagnosis code."""

    resource_type: str
    parameter: str

    def params(self, terminology: Terminology, patient_id: str) -> dict[str, str]:
        """`patient=<id>&<parameter>=<codes>`: codes without their system (a token without
        a system matches that code in any system, a superset the rules filter exactly), in
        every spelling a server may hold (`C74.10` and `C7410`, `635` and `ORPHA:635`)."""
        return {"patient": patient_id, self.parameter: ",".join(terminology.search_codes)}

    def url(self, terminology: Terminology, patient_id: str) -> str:
        """The search relative to the server's base (`patient_id` may be a template token)."""
        query = "&".join(f"{k}={v}" for k, v in self.params(terminology, patient_id).items())
        return f"{self.resource_type}?{query}"


#: Conditions by code; Observations by code (the finding is the question) and by
#: value (the finding is the answer to a generic question).
NARROWED: Final = (
    NarrowedSearch("Condition", "code"),
    NarrowedSearch("Observation", "code"),
    NarrowedSearch("Observation", "value-concept"),
)


@dataclass(frozen=True, slots=True)
class RecordSearch:
    """A whole-patient search for another part of the record: the treatment record
    (DESIGN.md, "The course of treatment"; a medication record's Medication included) and
    the reports whose conclusion may be evidence. Past the client's caps it is narrowed to
    `parameter` = the codes that can count (agent or criterion codes, `narrow_to`)."""

    resource_type: str
    parameter: str
    include: str | None = None
    #: The code systems of the agent codes it is narrowed to; () for criterion codes.
    systems: tuple[str, ...] = ()

    @property
    def types(self) -> tuple[str, ...]:
        """The resource types its answer holds (the searched type, and an included one)."""
        return (self.resource_type, "Medication") if self.include else (self.resource_type,)

    def params(self, patient_id: str) -> dict[str, str]:
        params = {"patient": patient_id}
        if self.include:
            params["_include"] = self.include
        return params

    def narrowed(self, terminology: Terminology, patient_id: str) -> list[dict[str, str]]:
        """The narrowed searches, `CODES_PER_SEARCH` codes each: several hundred product
        codes in one query overflow some servers (sekmet: SQLite's expression depth)."""
        codes = (
            terminology.treatment.search_codes(self.systems)
            if self.systems
            else terminology.search_codes
        )
        return [
            {**self.params(patient_id), self.parameter: ",".join(codes[k : k + CODES_PER_SEARCH])}
            for k in range(0, len(codes), CODES_PER_SEARCH)
        ]

    def url(self, patient_id: str) -> str:
        """The whole-patient search relative to the server's base."""
        return f"{self.resource_type}?" + "&".join(
            f"{k}={v}" for k, v in self.params(patient_id).items()
        )


_DRUGS: Final = ("http://www.nlm.nih.gov/research/umls/rxnorm", "http://www.whocc.no/atc")
_PROCEDURES: Final = ("http://snomed.info/sct",)
RECORD_SEARCHES: Final = (
    RecordSearch("MedicationRequest", "code", "MedicationRequest:medication", _DRUGS),
    RecordSearch("MedicationAdministration", "code", "MedicationAdministration:medication", _DRUGS),
    RecordSearch("MedicationStatement", "code", "MedicationStatement:medication", _DRUGS),
    RecordSearch("Procedure", "code", systems=_PROCEDURES),
    RecordSearch("ServiceRequest", "code", systems=_PROCEDURES),
    RecordSearch("DiagnosticReport", "conclusion"),
)


async def read_patient(client: FhirClient, patient_id: str) -> Json:
    """The Patient; NotFound (without the id) when the server has none."""
    try:
        return await client.read("Patient", patient_id)
    except NotFound:
        raise NotFound("No such Patient on the FHIR server") from None


async def patient_resources(
    client: FhirClient, terminology: Terminology, patient_id: str
) -> list[Record]:
    """The patient, then its Conditions, Observations and treatment records, in search order
    (a resource two searches found comes twice: `intake.server_records` keeps one). The
    searched resources stay the pages' bytes, each with its head, as a posted body's do.

    Raises NotFound for an unknown patient; other upstream faults as the client raises them.
    """
    patient = patient_record(await read_patient(client, patient_id))
    found = await asyncio.gather(
        _search(client, terminology, "Condition", patient_id),
        _search(client, terminology, "Observation", patient_id),
        *(_record_search(client, terminology, search, patient_id) for search in RECORD_SEARCHES),
    )
    return [patient, *(r for part in found for r in part)]


async def _record_search(
    client: FhirClient, terminology: Terminology, search: RecordSearch, patient_id: str
) -> list[Record]:
    try:
        return await search_records(
            client, search.resource_type, search.params(f"Patient/{patient_id}")
        )
    except FhirServerError as exc:
        if exc.fault is not Fault.TOO_COSTLY:
            raise
    found = await asyncio.gather(
        *(
            search_records(client, search.resource_type, params)
            for params in search.narrowed(terminology, patient_id)
        )
    )
    return [record for part in found for record in part]


async def _search(
    client: FhirClient, terminology: Terminology, resource_type: str, patient_id: str
) -> list[Record]:
    try:
        return await search_records(client, resource_type, {"patient": f"Patient/{patient_id}"})
    except FhirServerError as exc:
        if exc.fault is not Fault.TOO_COSTLY:
            raise
    found = await asyncio.gather(
        *(
            search_records(client, resource_type, search.params(terminology, patient_id))
            for search in NARROWED
            if search.resource_type == resource_type
        )
    )
    return [record for part in found for record in part]


async def search_records(
    client: FhirClient, resource_type: str, params: dict[str, str]
) -> list[Record]:
    """Every entry of every page of a search (`_count` = `PAGE_SIZE`), as records whose
    resources are still the pages' bytes. A page whose entries are not all objects is a
    502: dropping part of a patient's record silently could change the answer."""

    def read(body: bytes, n: int) -> PrefetchValue:
        return read_page(body, f"{resource_type}.search.page[{n}]")

    pages = await client.search_pages(resource_type, {**params, "_count": PAGE_SIZE}, read)
    records: list[Record] = []
    for page in pages:
        if page.entries is None:
            raise FhirServerError(
                f"The FHIR server answered a {resource_type} search with malformed entries",
                fault=Fault.INVALID,
            )
        records.extend(page.entries)
    return records


def patient_record(patient: Json, origin: str = "Bundle") -> Record:
    """A Patient read by itself, as a record; `origin` names where (for errors)."""
    ident = patient.get("id")
    return Record(
        None,
        patient,
        origin=origin,
        resource_type="Patient",
        ident=ident if isinstance(ident, str) and ident else None,
    )
