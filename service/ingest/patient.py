"""Who the request is about: the reference index, subject keys and the one-patient rule."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from service.errors import UnprocessablePayload
from service.ingest.result import IngestResult, Json, KeptResource
from service.ingest.validate import check_bindings, validate

_LITERAL_REFERENCE = re.compile(
    r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$"
)


def select(
    picked: Iterable[tuple[int, str, str | None, Json]],
    subjects: Iterable[tuple[str, object]],
    index: Mapping[str, tuple[str, str | None]],
    root: str,
    entry_count: int,
) -> IngestResult:
    """Validate the Patients and candidates (in entry order) and find the one patient.

    `picked` holds the Patients and the Conditions/Observations that hit a criterion;
    `subjects` the subject of every Condition/Observation, read only if neither a
    Patient nor a kept resource names the patient.
    """
    patient: str | None = None
    conditions: list[KeptResource] = []
    observations: list[KeptResource] = []

    def same_patient(key: str | None, expression: str, what: str) -> None:
        nonlocal patient
        if key is None:
            return
        if patient is None:
            patient = key
        elif key != patient:
            raise UnprocessablePayload(
                f"The request concerns more than one patient ({what})", expression=[expression]
            )

    for i, path, full_url, resource in picked:
        resource_type = resource.get("resourceType")
        if resource_type == "Patient":
            validate(resource, path)
            same_patient(patient_key(resource, full_url), path, "a second Patient")
        else:
            validate(resource, path)
            check_bindings(resource, path)
            key = _subject_key(resource.get("subject"), index, f"{path}.subject")
            same_patient(key, f"{path}.subject", "a subject differs")
            kept = KeptResource(resource, _reference(resource, full_url, path), i, path)
            (conditions if resource_type == "Condition" else observations).append(kept)

    if patient is None:
        patient = _patient_of_other_evidence(subjects, index, root)
    return IngestResult(patient, tuple(conditions), tuple(observations), entry_count)


def reference_index(
    usable: Sequence[tuple[int, str, str | None, Json]],
) -> dict[str, tuple[str, str | None]]:
    """Every way an entry can be referenced -> (resource type, patient key if a Patient)."""
    index: dict[str, tuple[str, str | None]] = {}
    for _, _, full_url, resource in usable:
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str):
            continue
        key = patient_key(resource, full_url) if resource_type == "Patient" else None
        if full_url:
            index[full_url] = (resource_type, key)
        resource_id = resource.get("id")
        if isinstance(resource_id, str):
            index[f"{resource_type}/{resource_id}"] = (resource_type, key)
    return index


def _patient_of_other_evidence(
    subjects: Iterable[tuple[str, object]],
    index: Mapping[str, tuple[str, str | None]],
    root: str,
) -> str:
    """The one patient named by the subjects of Conditions/Observations that gave no evidence.

    Only consulted when neither a Patient nor any kept resource names the patient, so a
    bundle of unrelated results about one patient is assessed (all criteria unknown)
    rather than refused. These resources are not validated: a subject that cannot be
    read is skipped, not an error. `subjects`: (resource path, subject) of each.
    """
    keys: dict[str, str] = {}
    for path, subject in subjects:
        try:
            key = _subject_key(subject, index, f"{path}.subject")
        except UnprocessablePayload:
            continue
        if key is not None:
            keys.setdefault(key, f"{path}.subject")
    if len(keys) > 1:
        raise UnprocessablePayload(
            "The request concerns more than one patient (a subject differs)",
            expression=[list(keys.values())[1]],
        )
    if not keys:
        raise UnprocessablePayload(
            "No patient can be identified: no Patient resource and no subject reference",
            code="required",
            expression=[root],
        )
    return next(iter(keys))


def patient_key(patient: Json, full_url: str | None) -> str | None:
    resource_id = patient.get("id")
    if isinstance(resource_id, str) and resource_id:
        return f"Patient/{resource_id}"
    if full_url:
        match = _LITERAL_REFERENCE.search(full_url)
        if match and match[1] == "Patient":
            return f"Patient/{match[2]}"
        return full_url
    return None


def _subject_key(
    subject: object, index: Mapping[str, tuple[str, str | None]], expression: str
) -> str | None:
    """The patient key a (validated) subject Reference points at, or None if it names no one."""
    if not isinstance(subject, dict) or not isinstance(subject.get("reference"), str):
        return None
    reference = subject["reference"].strip()
    if reference.startswith("#"):
        return None
    if reference in index:
        resource_type, key = index[reference]
    elif match := _LITERAL_REFERENCE.search(reference):
        resource_type, key = match[1], f"Patient/{match[2]}"
    elif reference.startswith("urn:"):
        declared = subject.get("type")
        resource_type, key = (declared if isinstance(declared, str) else "Patient"), reference
    else:
        raise UnprocessablePayload(
            "The subject reference cannot be resolved",
            code="invalid",
            expression=[f"{expression}.reference"],
        )
    if resource_type != "Patient":
        raise UnprocessablePayload(
            "The subject must be a Patient", code="invalid", expression=[expression]
        )
    return key


def _reference(resource: Json, full_url: str | None, path: str) -> str:
    resource_id = resource.get("id")
    if isinstance(resource_id, str) and resource_id:
        return f"{resource['resourceType']}/{resource_id}"
    return full_url or path
