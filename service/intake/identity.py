"""Who the request is about, and a check of every reference to a patient in it.

A wrong-patient answer is the worst error this service can make, so every reference to a
patient (the elements the CodeSystem oms-patient-reference-element names: `subject`,
`patient`, `Observation.focus`) of every resource, current or superseded, top-level or
contained, must name the one patient, not only those of the evidence:

* references resolve as FHIR's Bundle rules say. An absolute reference
  (`https://ehr/fhir/Patient/1`, a `urn:uuid:` fullUrl) names the one patient only when it
  is that patient's full URL; a relative one (`Patient/1`) resolves against the base of its
  own entry's fullUrl when that is a RESTful URL, so `Patient/123` in an entry from
  hospital B is hospital B's patient 123, not hospital A's. Where the Patient's own server
  is unknown (no fullUrl, or a `urn:`), `Patient/123` on any server matches its id 123,
  since nothing says the servers differ;
* a reference by `identifier` must carry an identifier (system and value) of the one
  Patient; so must a contained Patient (`#pt`) and a conditional reference
  (`Patient?identifier=system|value`, every parameter an identifier of the patient);
* a reference to anything other than a Patient (a Group, a Location) concerns no
  patient, except as the subject of evidence, which must be a Patient.

Anything else (another patient, an unresolvable reference, a reference that cannot be
tied to the patient) is a 422 naming the element. The one patient is the bundle's
Patient resource (which must be current: a `replaced-by` link is refused, and so is a
Patient that nothing can reference); without one, the patient every literal reference
names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qsl

from service.errors import TerminologyError, UnprocessablePayload
from service.fhir_json import FHIR_ID, LITERAL_REFERENCE
from service.intake.heads import Head, Reference
from service.intake.walk import Node
from service.terminology import Terminology

Identifier = tuple[str, str]

#: A RESTful URL: a base, then `Type/id`, maybe `/_history/vid` (FHIR "Resolving
#: references in Bundles"). Group 1 the base (with its trailing slash), 2 `Type/id`.
_RESTFUL: Final = re.compile(
    rf"^(https?://\S+/)([A-Z][A-Za-z]+/{FHIR_ID})(?:/_history/{FHIR_ID})?$"
)
#: A RESTful URL without its id: group 1 the base.
_TYPED_BASE: Final = re.compile(r"^(https?://\S+/)[A-Z][A-Za-z]+$")
_ID: Final = re.compile(FHIR_ID)
#: A relative literal reference: `Type/id`, maybe with a version.
_RELATIVE: Final = re.compile(rf"^([A-Z][A-Za-z]+/{FHIR_ID})(?:/_history/{FHIR_ID})?$")
#: The elements a Head reads; the CodeSystem may name only these.
_READABLE: Final = frozenset(Head.__struct_fields__)


@dataclass(frozen=True, slots=True)
class Target:
    """What a literal reference names: its full URL when one can be had (absolute, or
    relative to a RESTful entry base), its `Type/id`, and the type."""

    absolute: str | None
    local: str | None
    type: str | None


@dataclass(frozen=True, slots=True)
class OnePatient:
    """The patient: its reference key (None while nothing names one), the full URLs that
    name it, its `Patient/<id>`, and its identifiers (empty without a Patient resource)."""

    key: str | None
    names: frozenset[str]
    local: str | None
    identifiers: frozenset[Identifier]
    node: Node | None

    @property
    def from_resource(self) -> bool:
        return self.node is not None

    @property
    def server_known(self) -> bool:
        """Whether the patient has a RESTful full URL, so that its server is known."""
        return any(base_of(name) for name in self.names)

    def named_by(self, target: Target) -> bool:
        """A full URL must be the patient's own; where the patient's server is unknown (no
        fullUrl, or a urn), `Patient/<id>` on any server matches its id."""
        if target.absolute is not None and target.absolute in self.names:
            return True
        if target.absolute is not None and self.server_known:
            return False
        return target.local is not None and target.local == self.local


#: `urn:` fullUrl -> resource type (the only references whose type the text does not say).
ReferenceIndex = Mapping[str, str]


def base_of(full_url: str | None) -> str | None:
    """The server base of a RESTful fullUrl (`https://a/fhir/`), else None (a urn, none).
    Asked for every resource: a `urn:` answers before any pattern is tried, and a
    `<base>/<Type>/<id>` through its `<base>/<Type>` (the same for most resources,
    remembered) and the id; anything else (a version) by the whole pattern."""
    if not full_url or not full_url.startswith(("http://", "https://")):
        return None
    prefix, _, ident = full_url.rpartition("/")
    base = _typed_base(prefix)
    if base is not None and _ID.fullmatch(ident):
        return base
    match = _RESTFUL.match(full_url)
    return match[1] if match else None


@lru_cache(maxsize=1024)
def _typed_base(prefix: str) -> str | None:
    """`https://a/fhir/` of `https://a/fhir/Observation`, or None."""
    match = _TYPED_BASE.match(prefix)
    return match[1] if match else None


def resolve(text: str, base: str | None, index: ReferenceIndex) -> Target | None:
    """The target of a literal reference (not `#id`, not conditional); None if it cannot
    be read as one."""
    if text.startswith("urn:"):
        return Target(text, None, index.get(text))
    if match := _RESTFUL.match(text):
        return Target(match[1] + match[2], match[2], match[2].split("/", 1)[0])
    if match := _RELATIVE.match(text):
        local = match[1]
        return Target(base + local if base else None, local, local.split("/", 1)[0])
    return None


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


def one_patient(
    nodes: Sequence[Node],
    patients: Sequence[Node],
    index: ReferenceIndex,
    terminology: Terminology,
) -> OnePatient:
    """The patient of the bundle's (current) Patient resources, or else of its references.

    Raises 422 for two Patients, for a Patient nothing can reference, and for references
    that name two patients. The key is None when nothing names a patient: the caller
    checks the references first (their faults say more), then refuses the bundle.
    """
    found: OnePatient | None = None
    for node in patients:
        if not node.current:
            continue
        key = patient_key(node)
        if key is None:
            raise UnprocessablePayload(
                "A Patient resource without id or fullUrl cannot be the patient the "
                "references name",
                code="required",
                expression=[node.path],
            )
        if found is not None and key != found.key:
            raise UnprocessablePayload(
                "The request concerns more than one patient (a second Patient)",
                expression=[node.path],
            )
        names = {_without_history(node.full_url)} if node.full_url else set()
        found = OnePatient(
            key,
            (found.names if found else frozenset()) | names,
            key if key.startswith("Patient/") else None,
            (found.identifiers if found else frozenset()) | identifiers_of(node.head),
            node,
        )
    if found is not None:
        return found
    return _patient_from_references(nodes, index, terminology)


def require_patient(patient: OnePatient, root: str) -> str:
    if patient.key is None:
        raise UnprocessablePayload(
            "No patient can be identified: no Patient resource and no subject reference",
            code="required",
            expression=[root],
        )
    return patient.key


def _patient_from_references(
    nodes: Sequence[Node], index: ReferenceIndex, terminology: Terminology
) -> OnePatient:
    """The one patient every literal reference names: full URLs must agree, and so must
    `Type/id`s (a relative reference without a known base matches any server's)."""
    names: dict[str, str] = {}
    locals_: dict[str, str] = {}
    bridged = False  # a target with both a full URL and a `Type/id` ties the two kinds
    for node in nodes:
        base = base_of(node.full_url)
        for element, reference in _patient_references(node.head, node.path, terminology):
            target = _literal_target(reference, base, index)
            if target is None:
                continue
            if target.absolute is not None:
                names.setdefault(target.absolute, element)
            if target.local is not None:
                locals_.setdefault(target.local, element)
            bridged = bridged or (target.absolute is not None and target.local is not None)
            if len(names) > 1 or len(locals_) > 1:
                _differs(element)
    if names and locals_ and not bridged:  # `urn:uuid:...` and `Patient/1`: not tied
        _differs(max(next(iter(names.values())), next(iter(locals_.values())), key=_order))
    local = next(iter(locals_), None)
    key = local or next(iter(names), None)
    return OnePatient(key, frozenset(names), local, frozenset(), None)


def _order(element: str) -> tuple[int, ...]:
    """An element path's place in document order (its indexes, in turn)."""
    return tuple(int(n) for n in re.findall(r"\[(\d+)\]", element))


def _differs(element: str) -> None:
    raise UnprocessablePayload(
        "The request concerns more than one patient (a subject differs)", expression=[element]
    )


def _literal_target(reference: object, base: str | None, index: ReferenceIndex) -> Target | None:
    """The Patient a Reference names literally (not by identifier), if any."""
    if type(reference) is Reference:
        reference = reference.as_json()
    if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
        return None
    text: str = reference["reference"].strip()
    if text.startswith("#") or "?" in text:
        return None
    target = resolve(text, base, index)
    if target is None:
        return None
    if target.type is None and target.absolute is not None:  # a urn not in the request
        declared = reference.get("type")
        return target if declared in (None, "Patient") else None
    return target if target.type == "Patient" else None


def check_references(
    nodes: Iterable[Node], patient: OnePatient, index: ReferenceIndex, terminology: Terminology
) -> None:
    """Every reference to a patient of every resource, and of its contained resources.

    A literal reference already found to name the patient from the same base is not
    checked again (a Synthea record repeats one subject on every resource): the loop
    below is the hot path of a large request, so it reads the head's elements itself."""
    accepted: set[tuple[str | None, str]] = set()
    elements_of: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        head = node.head
        elements = elements_of.get(node.type)
        if elements is None:
            elements = elements_of[node.type] = patient_elements(terminology, node.type)
        base = base_of(node.full_url)
        contained = contained_by_id(head) if head.contained else _NONE_CONTAINED
        for element in elements:
            value = getattr(head, element)
            if value is None:
                continue
            text = _literal_only(value)
            if text is not None:
                # A urn or a full URL is the same whatever entry holds it; anything else
                # (a relative `Type/id`) may resolve against the entry's base.
                key = (None if text.startswith(_ABSOLUTE) else base, text)
                if key not in accepted:
                    where = f"{node.path}.{element}"
                    check_reference(value, where, patient, index, contained, base)
                    accepted.add(key)
                continue
            for where, reference in _each(value, f"{node.path}.{element}"):
                check_reference(reference, where, patient, index, contained, base)
        if not head.contained:
            continue
        for k, inner in enumerate(head.contained):
            path = f"{node.path}.contained[{k}]"
            for element, reference in _patient_references(inner, path, terminology):
                check_reference(reference, element, patient, index, contained, base)


def _literal_only(reference: object) -> str | None:
    """The text of a Reference that holds only a literal `reference` (no identifier, no
    type), not to a contained resource: one check answers for every such reference from
    one base. (A head's references are `Reference`s; a resource's are dicts.)"""
    if type(reference) is Reference:
        text = reference.reference
        if reference.identifier is not None or reference.type is not None:
            return None
    elif type(reference) is dict:
        text = reference.get("reference")
        size = len(reference)
        if not (size == 1 or (size == 2 and "display" in reference)):
            return None
    else:
        return None
    if type(text) is not str or text.startswith("#"):
        return None
    return text


#: How a reference that never resolves against a base begins (`resolve`).
_ABSOLUTE: Final = ("urn:", "http://", "https://")
_NONE_CONTAINED: Final[Mapping[str, Head]] = {}


def check_reference(
    reference: object,
    element: str,
    patient: OnePatient,
    index: ReferenceIndex,
    contained: Mapping[str, Head],
    base: str | None,
    *,
    must_be_patient: bool = False,
) -> str | None:
    """422 unless the Reference names the one patient (or, when allowed, no patient).

    Returns the type it names (None when neither the reference nor the request says)."""
    if type(reference) is Reference:
        reference = reference.as_json()
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
        target_type = _check_literal(literal.strip(), element, patient, index, contained, base)
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
    return target_type


def _check_literal(
    text: str,
    element: str,
    patient: OnePatient,
    index: ReferenceIndex,
    contained: Mapping[str, Head],
    base: str | None,
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
    resolved = resolve(text, base, index)
    if resolved is None:
        _refuse("The reference cannot be resolved", where, "invalid")
    assert resolved is not None
    if resolved.type is None:  # a urn that is not in the request
        if patient.from_resource:
            _refuse(
                "The request concerns more than one patient (a subject names a resource "
                "that is not in the request)",
                element,
            )
        resolved = Target(resolved.absolute, None, "Patient")
    assert resolved.type is not None
    if resolved.type == "Patient" and not patient.named_by(resolved):
        _refuse(
            "The request concerns more than one patient (a subject names another patient, "
            "or the same id on another server)",
            element,
        )
    return resolved.type


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


def _patient_references(
    head: Head, path: str, terminology: Terminology
) -> Iterable[tuple[str, object]]:
    for element in patient_elements(terminology, head.type):
        value = getattr(head, element)
        if value is not None:
            yield from _each(value, f"{path}.{element}")


def _each(value: object, where: str) -> Iterable[tuple[str, object]]:
    """The element's references with their paths (Contract.subject and a few repeat)."""
    if isinstance(value, list):
        for k, item in enumerate(value):
            yield f"{where}[{k}]", item
    else:
        yield where, value


@lru_cache(maxsize=4096)
def patient_elements(terminology: Terminology, resource_type: str | None) -> tuple[str, ...]:
    """The patient-reference elements of a type, each one the head reads (remembered: it
    is asked for every resource)."""
    elements = terminology.patient_elements_of(resource_type)
    for element in elements:
        if element not in _READABLE:
            raise TerminologyError(
                f"oms-patient-reference-element names {element}, which intake does not read"
            )
    return elements


def _without_history(url: str) -> str:
    match = _RESTFUL.match(url)
    return match[1] + match[2] if match else url


def contained_by_id(head: Head) -> dict[str, Head]:
    """The container's contained resources by id, for `#id` references."""
    return {c.ident: c for c in head.contained or [] if c.ident is not None}
