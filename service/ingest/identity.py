"""Who the request is about, and a check of every reference to a patient in it.

A wrong-patient answer is the worst error this service can make, so every `subject`
and `patient` reference of every resource (current or superseded, top-level or
contained) must name the one patient, not only those of the evidence:

* a literal reference (`Patient/1`, `https://ehr/fhir/Patient/1/_history/2`, a
  `urn:uuid:` fullUrl) must resolve to the one Patient;
* a reference by `identifier` must carry an identifier (system and value) of the one
  Patient; so must a contained Patient (`#pt`) and a conditional reference
  (`Patient?identifier=system|value`, every parameter an identifier of the patient);
* a reference to anything other than a Patient (a Group, a Location) concerns no
  patient, except as the subject of evidence, which must be a Patient.

Anything else (another patient, an unresolvable reference, a reference that cannot be
tied to the patient) is a 422 naming the element. The one patient is the bundle's
Patient resource; without one, the patient every literal reference names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl

from service.errors import UnprocessablePayload
from service.fhir_json import LITERAL_REFERENCE
from service.ingest.heads import Head, LiteralReference
from service.ingest.walk import Node

#: The elements through which a resource names its patient (the patient compartment's
#: links for nearly every clinical resource).
PATIENT_ELEMENTS: Final = ("subject", "patient")

Identifier = tuple[str, str]


@dataclass(frozen=True, slots=True)
class OnePatient:
    """The patient: its reference key (None while no reference names one) and its
    identifiers (empty without a Patient resource)."""

    key: str | None
    identifiers: frozenset[Identifier]
    birth_date: str | None
    from_resource: bool


#: fullUrl or `Type/id` -> (resource type, patient key when a Patient).
ReferenceIndex = Mapping[str, tuple[str, str | None]]


def reference_index(nodes: Sequence[Node]) -> dict[str, tuple[str, str | None]]:
    index: dict[str, tuple[str, str | None]] = {}
    for node in nodes:
        resource_type = node.type
        assert resource_type is not None
        key = patient_key(node) if resource_type == "Patient" else None
        if node.full_url:
            index[node.full_url] = (resource_type, key)
        if node.ident is not None:
            index[f"{resource_type}/{node.ident}"] = (resource_type, key)
    return index


def patient_key(node: Node) -> str | None:
    """`Patient/<id>` whenever an id is known (so answers can be written back), else the
    fullUrl; None for a Patient with neither (it cannot be referenced)."""
    if node.ident is not None:
        return f"Patient/{node.ident}"
    if node.full_url:
        match = LITERAL_REFERENCE.search(node.full_url)
        if match and match[1] == "Patient":
            return f"Patient/{match[2]}"
        return node.full_url
    return None


def identifiers_of(head: Head) -> frozenset[Identifier]:
    found: set[Identifier] = set()
    for identifier in head.identifier if isinstance(head.identifier, list) else []:
        if isinstance(identifier, dict):
            system, value = identifier.get("system"), identifier.get("value")
            if isinstance(system, str) and isinstance(value, str):
                found.add((system.strip(), value.strip()))
    return frozenset(found)


def one_patient(nodes: Sequence[Node], index: ReferenceIndex) -> OnePatient:
    """The patient of the bundle's (current) Patient resources, or else of its references.

    Raises 422 for two Patients and for references that name two patients. The key is
    None when nothing names a patient: the caller checks the references first (their
    faults say more), then refuses the bundle.
    """
    patients = [n for n in nodes if n.current and n.type == "Patient"]
    found: OnePatient | None = None
    for node in patients:
        key = patient_key(node)
        if key is None:
            continue
        if found is not None and key != found.key:
            raise UnprocessablePayload(
                "The request concerns more than one patient (a second Patient)",
                expression=[node.path],
            )
        birth = node.head.birthDate
        found = OnePatient(
            key,
            (found.identifiers if found else frozenset()) | identifiers_of(node.head),
            birth if isinstance(birth, str) else None,
            from_resource=True,
        )
    if found is not None:
        return found
    return OnePatient(_key_from_references(nodes, index), frozenset(), None, False)


def require_patient(patient: OnePatient, root: str) -> str:
    if patient.key is None:
        raise UnprocessablePayload(
            "No patient can be identified: no Patient resource and no subject reference",
            code="required",
            expression=[root],
        )
    return patient.key


def _key_from_references(nodes: Sequence[Node], index: ReferenceIndex) -> str | None:
    keys: dict[str, str] = {}
    for node in nodes:
        for element, reference in _patient_references(node.head, node.path):
            key = _literal_key(reference, index)
            if key is not None:
                keys.setdefault(key, element)
    if len(keys) > 1:
        raise UnprocessablePayload(
            "The request concerns more than one patient (a subject differs)",
            expression=[list(keys.values())[1]],
        )
    return next(iter(keys), None)


def _literal_key(reference: object, index: ReferenceIndex) -> str | None:
    """The patient key a Reference names literally (not by identifier), if any."""
    if isinstance(reference, LiteralReference):
        reference = reference.as_reference()
    if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
        return None
    text: str = reference["reference"].strip()
    if text.startswith("#") or "?" in text:
        return None
    if text in index:
        key: str | None = index[text][1]
        return key
    match = LITERAL_REFERENCE.search(text)
    if match:
        return f"Patient/{match[2]}" if match[1] == "Patient" else None
    if text.startswith("urn:") and reference.get("type") in (None, "Patient"):
        return text
    return None


def check_references(nodes: Iterable[Node], patient: OnePatient, index: ReferenceIndex) -> None:
    """Every `subject`/`patient` of every resource, and of its contained resources.

    A literal reference already found to name the patient is not checked again (a
    Synthea record repeats one subject on every resource)."""
    accepted: set[str] = set()
    for node in nodes:
        contained = contained_by_id(node.head) if node.head.contained else {}
        for element, reference in _patient_references(node.head, node.path):
            if isinstance(reference, LiteralReference) and not reference.startswith("#"):
                if reference in accepted:
                    continue
                check_reference(reference, element, patient, index, contained)
                accepted.add(reference)
                continue
            check_reference(reference, element, patient, index, contained)
        for k, inner in enumerate(node.head.contained or []):
            for element, reference in _patient_references(inner, f"{node.path}.contained[{k}]"):
                check_reference(reference, element, patient, index, contained)


def check_reference(
    reference: object,
    element: str,
    patient: OnePatient,
    index: ReferenceIndex,
    contained: Mapping[str, Head],
    *,
    must_be_patient: bool = False,
) -> None:
    """422 unless the Reference names the one patient (or, when allowed, no patient)."""
    if isinstance(reference, LiteralReference):
        reference = reference.as_reference()
    if not isinstance(reference, dict):
        raise UnprocessablePayload(
            "A patient reference must be a Reference", code="structure", expression=[element]
        )
    literal, identifier = reference.get("reference"), reference.get("identifier")
    declared = reference.get("type")
    if literal is None and identifier is None:
        _refuse(
            "The reference cannot be tied to the patient (no reference, no identifier)", element
        )
    target_type: str | None = None
    if isinstance(literal, str):
        target_type = _check_literal(literal.strip(), element, patient, index, contained)
    elif literal is not None:
        raise UnprocessablePayload(
            "Reference.reference must be a string", code="structure", expression=[element]
        )
    elif isinstance(declared, str):
        target_type = declared
    if target_type in (None, "Patient") and identifier is not None:
        _check_identifier(identifier, f"{element}.identifier", patient)
        target_type = "Patient"
    if must_be_patient and target_type not in (None, "Patient"):
        raise UnprocessablePayload(
            "The subject must be a Patient", code="invalid", expression=[element]
        )


def _check_literal(
    text: str,
    element: str,
    patient: OnePatient,
    index: ReferenceIndex,
    contained: Mapping[str, Head],
) -> str:
    """The type the literal reference names, after checking a Patient one is the patient."""
    where = f"{element}.reference"
    if text.startswith("#"):
        target = contained.get(text[1:])
        if target is None:
            _refuse("The reference to a contained resource cannot be resolved", where, "invalid")
        assert target is not None
        if target.type == "Patient" and patient.identifiers.isdisjoint(identifiers_of(target)):
            _refuse(
                "A contained Patient that shares no identifier with the patient cannot be "
                "tied to the patient",
                where,
            )
        return target.type or ""
    if "?" in text:
        resource_type, query = text.split("?", 1)
        if resource_type.rsplit("/", 1)[-1] == "Patient":
            _check_conditional(query, where, patient)
            return "Patient"
        return resource_type
    if text in index:
        resource_type, key = index[text]
    elif match := LITERAL_REFERENCE.search(text):
        resource_type = match[1]
        key = f"Patient/{match[2]}" if resource_type == "Patient" else None
    elif text.startswith("urn:") and not patient.from_resource:
        resource_type, key = "Patient", text
    elif text.startswith("urn:"):
        _refuse(
            "The request concerns more than one patient (a subject names a resource that "
            "is not in the request)",
            element,
        )
    else:
        _refuse("The reference cannot be resolved", where, "invalid")
    if resource_type == "Patient" and key != patient.key:
        _refuse("The request concerns more than one patient (a subject differs)", element)
    return resource_type


def _check_conditional(query: str, where: str, patient: OnePatient) -> None:
    params = parse_qsl(query, keep_blank_values=True)
    if not params or any(name != "identifier" for name, _ in params):
        _refuse("A conditional reference can be tied to the patient only by identifier", where)
    for _, token in params:
        system, _, value = token.partition("|")
        if (system.strip(), value.strip()) not in patient.identifiers:
            _refuse(
                "The request concerns more than one patient (an identifier names another)",
                where,
            )


def _check_identifier(identifier: object, where: str, patient: OnePatient) -> None:
    if not isinstance(identifier, dict):
        raise UnprocessablePayload(
            "Reference.identifier must be an Identifier", code="structure", expression=[where]
        )
    system, value = identifier.get("system"), identifier.get("value")
    if not isinstance(system, str) or not isinstance(value, str):
        _refuse("An identifier without system and value cannot be tied to the patient", where)
    assert isinstance(system, str) and isinstance(value, str)
    if not patient.from_resource:
        _refuse("A reference by identifier needs the Patient resource that carries it", where)
    if (system.strip(), value.strip()) not in patient.identifiers:
        _refuse("The request concerns more than one patient (an identifier names another)", where)


def _refuse(message: str, where: str, code: str = "processing") -> None:
    raise UnprocessablePayload(message, code=code, expression=[where])


def _patient_references(head: Head, path: str) -> Iterable[tuple[str, object]]:
    for element in PATIENT_ELEMENTS:
        value = getattr(head, element)
        if isinstance(value, list):  # Contract.subject and a few others repeat
            for k, item in enumerate(value):
                yield f"{path}.{element}[{k}]", item
        elif value is not None:
            yield f"{path}.{element}", value


def contained_by_id(head: Head) -> dict[str, Head]:
    """The container's contained resources by id, for `#id` references."""
    return {c.ident: c for c in head.contained or [] if c.ident is not None}
