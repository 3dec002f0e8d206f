"""Request bytes -> the few resources that matter, checked, about exactly one patient.

The whole Bundle is never validated (a Synthea patient takes ~0.4 s that way): entries
are walked as plain dicts, and only the Patient resources and the Conditions and
Observations whose codes hit a criterion ValueSet are validated with the
`fhir.resources.R4B` models. Those are the only resources the answer depends on, so
they are the only ones whose faults become a 422. Kept resources are the caller's own
dicts, not copies: treat them as read-only.

Decisions an integrator may want to know:

* Patient identity. `Patient/<id>` whenever an id is known (from the Patient
  resource, its fullUrl, or a relative or absolute `.../Patient/<id>` reference, with
  any `_history` dropped), so the answer can be written back to the server the data
  came from; otherwise the `urn:uuid:`/`urn:oid:` fullUrl or reference.
* A kept Observation without `subject` is taken to be about the bundle's patient
  (FHIR allows it; the bundle is about one patient by contract). A Condition always
  has one: R4 makes `Condition.subject` 1..1, so its absence fails validation. A
  subject given only as an `identifier`, or as a contained (`#...`) reference,
  likewise identifies no one and is accepted as the bundle's patient.
* A Patient resource with neither id nor fullUrl cannot be referenced and does not
  identify the patient by itself.
* Whitespace around `Coding.code`/`Coding.system` breaks the FHIR primitive
  pattern, but DESIGN.md says to ignore it, so those pattern errors are forgiven.

Memory: the body is first decoded with msgspec into a skeleton (`_Document`) in which
each entry's resource stays as its bytes (`msgspec.Raw`, no copy); a second small
decode reads each resource's type, id, codes and subject (`_Head`), and only the
Patients and the candidates are parsed with orjson. The rest never becomes Python
objects (bench [3]: the whole tree was ~4.6x the body, orjson's own copy ~2.3x more).
Whatever the skeleton cannot type, or where msgspec is more lenient than orjson
(invalid UTF-8 in a skipped string, a number that overflows a double, nesting past
1024 when the recursion limit does not bound msgspec below that), goes through the
whole-body `orjson.loads` path instead, so both paths give the same answers and the
same errors (tests/test_ingest_skeleton.py).
"""

from __future__ import annotations

import codecs
import gc
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import msgspec
import orjson
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from pydantic import BaseModel, ValidationError

from service.errors import PayloadTooLarge, UnprocessablePayload, UnreadableInput
from service.terminology import Terminology

Json = dict[str, Any]

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
CONDITION_VER_STATUS: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
#: Codes of CONDITION_VER_STATUS (required binding of Condition.verificationStatus).
CONDITION_VER_STATUSES: Final = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)

_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    "Patient": Patient,
    "Condition": Condition,
    "Observation": Observation,
}
_LITERAL_REFERENCE = re.compile(
    r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$"
)
_FHIR_CODE = re.compile(r"[^\s]+(\s[^\s]+)*")


@dataclass(frozen=True, slots=True)
class KeptResource:
    """A Condition or Observation that may be evidence.

    `reference` is how the answer refers to it: `Condition/<id>` when it has an id,
    else its entry's fullUrl, else its FHIRPath in the request (e.g.
    `Bundle.entry[3].resource`), which is no FHIR reference at all: see `resolvable`.
    """

    resource: Json
    reference: str
    index: int
    path: str

    @property
    def resolvable(self) -> bool:
        """False when `reference` is only a FHIRPath: emit it as Reference.display then."""
        return self.reference != self.path


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What the mappers need: the one patient and the candidate evidence, in entry order."""

    patient: str
    conditions: tuple[KeptResource, ...]
    observations: tuple[KeptResource, ...]
    entry_count: int


#: Most Bundle entries one request may carry (`OMS_MAX_ENTRIES` at the HTTP edge).
DEFAULT_MAX_ENTRIES: Final = 250_000


UTF8_BOM: Final = b"\xef\xbb\xbf"


def ingest(
    body: bytes, terminology: Terminology, *, max_entries: int = DEFAULT_MAX_ENTRIES
) -> IngestResult:
    """Parse a Bundle (any type) or a Parameters with a `bundle` part and keep what counts.

    Raises UnreadableInput (400) for bytes that are not JSON, UnprocessablePayload (422)
    for JSON that is not such a payload, for an invalid kept resource, for evidence
    about two patients and for a bundle from which no patient can be identified.
    Messages name elements and rules only, never input values.

    The cyclic garbage collector is paused meanwhile (see `_collector_paused`).
    """
    with _collector_paused():
        return _ingest(body, terminology, max_entries)


_pause_lock = threading.Lock()
_pauses = 0
_collector_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic GC while any ingest runs; restore it when the last one ends.

    Parsing builds about a million containers for a 10,000-entry bundle, and the GC,
    triggered by their allocation, would traverse the growing tree again and again
    (bench: 1.6x the ingest time at 10k entries, 2.3x at 100k). The tree holds no
    cycles and is freed by reference counting when ingest returns, so the GC has
    nothing to find in it. Counted, so overlapping requests in worker threads never
    leave the collector disabled; if something else disabled it, it stays disabled.
    The skeleton path builds far fewer containers and gains nothing measurable from
    the pause (within +-5% at 8 and 50 MB); it stays for the orjson fall-back path.
    """
    global _pauses, _collector_was_enabled
    with _pause_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()


def _ingest(body: bytes, terminology: Terminology, max_entries: int) -> IngestResult:
    skeleton = _skeleton(body)
    if skeleton is None:
        return _ingest_parsed(body, terminology, max_entries)
    return _ingest_skeleton(skeleton, terminology, max_entries)


def _ingest_parsed(body: bytes, terminology: Terminology, max_entries: int) -> IngestResult:
    """The reference path: the whole body parsed with orjson, entries walked as dicts."""
    bundle, root = _unwrap(_parse(body))
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise UnprocessablePayload("Bundle.entry must be an array", expression=[f"{root}.entry"])
    _check_entry_count(len(entries), max_entries, root)

    usable = list(_usable_entries(entries, root))
    picked = (
        (i, path, full_url, resource)
        for i, path, full_url, resource in usable
        if resource.get("resourceType") == "Patient"
        or (
            resource.get("resourceType") in ("Condition", "Observation")
            and _hits(resource, terminology)
        )
    )
    subjects = (
        (path, resource.get("subject"))
        for _, path, _, resource in usable
        if resource.get("resourceType") in ("Condition", "Observation")
    )
    return _select(picked, subjects, _reference_index(usable), root, len(entries))


def _check_entry_count(count: int, max_entries: int, root: str) -> None:
    if count > max_entries:
        raise PayloadTooLarge(
            f"The Bundle has more than {max_entries} entries", expression=[f"{root}.entry"]
        )


def _select(
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
            _validate(resource, path)
            same_patient(_patient_key(resource, full_url), path, "a second Patient")
        else:
            _validate(resource, path)
            _check_bindings(resource, path)
            key = _subject_key(resource.get("subject"), index, f"{path}.subject")
            same_patient(key, f"{path}.subject", "a subject differs")
            kept = KeptResource(resource, _reference(resource, full_url, path), i, path)
            (conditions if resource_type == "Condition" else observations).append(kept)

    if patient is None:
        patient = _patient_of_other_evidence(subjects, index, root)
    return IngestResult(patient, tuple(conditions), tuple(observations), entry_count)


class _Search(msgspec.Struct):
    mode: Any = None


class _Entry(msgspec.Struct):
    """A Bundle entry: its fullUrl and its search and resource still as bytes."""

    fullUrl: Any = None
    search: msgspec.Raw = msgspec.Raw()
    resource: msgspec.Raw = msgspec.Raw()


class _Bundle(msgspec.Struct):
    resourceType: Any = None
    entry: list[_Entry] = msgspec.field(default_factory=list)


class _Part(msgspec.Struct):
    name: Any = None
    resource: _Bundle | None = None


class _Document(_Bundle):
    """A Bundle, or a Parameters whose parts' resources are read as Bundles."""

    parameter: list[_Part] = msgspec.field(default_factory=list)


class _Head(msgspec.Struct):
    """What candidate selection and the reference index read of a resource."""

    resourceType: Any = None
    id: Any = None
    code: Any = None
    valueCodeableConcept: Any = None


class _Subject(msgspec.Struct):
    subject: Any = None


_DOCUMENT: Final = msgspec.json.Decoder(_Document)
_SEARCH: Final = msgspec.json.Decoder(_Search)
_HEAD: Final = msgspec.json.Decoder(_Head)
_SUBJECT: Final = msgspec.json.Decoder(_Subject)
#: For `_may_overflow`: digits -> "0", e/E -> "e", signs -> "+", anything else -> " ".
_NUMBER_SHAPE: Final = bytes.maketrans(
    b"0123456789eE+-" + bytes(b for b in range(256) if b not in b"0123456789eE+-"),
    b"0000000000ee++" + b" " * (256 - 14),
)
#: A number's end whose exponent has 3+ digits: where orjson may find a double overflow.
_BIG_EXPONENT: Final = re.compile(rb"[0-9.][eE][+-]?[0-9]{3,}[\s,}\]]")
#: Integer parts this long may overflow a double (1e308); shorter ones with a 2-digit
#: exponent cannot (< 1e299).
_LONG_DIGITS: Final = 200
_SCAN_CHUNK: Final = 1 << 20
#: orjson refuses JSON nested deeper than this. msgspec has no depth option: on
#: CPython 3.11 it stops at the recursion limit (its C recursion shares the counter of
#: Python frames), so the skeleton is used only there and only with a limit below it;
#: later versions bound C recursion separately (1,500 and more), so they fall back.
_MAX_DEPTH: Final = 1024
_DEPTH_BOUNDED_BY_RECURSION_LIMIT: Final = sys.version_info[:2] == (3, 11)
_UTF8_CHUNK: Final = 1 << 20


def _skeleton(body: bytes) -> _Document | None:
    """The body as a skeleton, or None where only the orjson path answers exactly."""
    if not _DEPTH_BOUNDED_BY_RECURSION_LIMIT or sys.getrecursionlimit() > _MAX_DEPTH:
        return None
    if not body.isascii() and not _valid_utf8(body):
        return None
    if _may_overflow(body):
        return None
    try:
        return _DOCUMENT.decode(body)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None


def _may_overflow(body: bytes) -> bool:
    """Whether a number in the body may be too large for a double, which orjson refuses
    (400) and msgspec does not check in what it skips. Over-inclusive: an exponent of 3
    or more digits, or 200 digits in a row. Scanned in chunks through a translation
    table (a regular expression took 9 ms per MB), so no copy of the body is made."""
    view = memoryview(body)
    digits = b"0" * _LONG_DIGITS
    for start in range(0, len(view), _SCAN_CHUNK):
        # Overlap the next chunk by more than a digit run or an exponent can span.
        shape = bytes(view[start : start + _SCAN_CHUNK + _LONG_DIGITS + 8])
        shape = shape.translate(_NUMBER_SHAPE)
        if shape.find(digits) >= 0:
            return True
        for marker in (b"0e000", b"0e+000"):
            at = shape.find(marker)
            while at >= 0:
                if _number_with_big_exponent(body, start + at):
                    return True
                at = shape.find(marker, at + 1)
    return False


def _number_with_big_exponent(body: bytes, at: int) -> bool:
    """Whether the digit at `at` ends the mantissa of a JSON number with a 3+ digit
    exponent (not, say, the `3e135` of an escaped `\\u003e135` in a narrative)."""
    if not _BIG_EXPONENT.match(body, at):
        return False
    start = at
    while start > 0 and body[start - 1] in b"0123456789.":
        start -= 1
    if start > 0 and body[start - 1] == ord("-"):
        start -= 1
    return start == 0 or body[start - 1] in b" \t\n\r:,["


def _valid_utf8(body: bytes) -> bool:
    """Decode in chunks, so no second copy of a large body is made."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    try:
        for start in range(0, len(view), _UTF8_CHUNK):
            decoder.decode(view[start : start + _UTF8_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _ingest_skeleton(
    document: _Document, terminology: Terminology, max_entries: int
) -> IngestResult:
    """`_ingest_parsed`, step for step, on the skeleton: same checks, same order."""
    bundle, root = _unwrap_skeleton(document)
    entries = bundle.entry
    _check_entry_count(len(entries), max_entries, root)

    usable = list(_usable_raw(entries, root))
    index: dict[str, tuple[str, str | None]] = {}
    picked: list[tuple[int, str | None, msgspec.Raw]] = []
    evidence_typed: list[tuple[int, msgspec.Raw]] = []
    for i, full_url, raw in usable:
        head = _HEAD.decode(raw)
        resource_type = head.resourceType
        if not isinstance(resource_type, str):
            continue
        key = _patient_key({"id": head.id}, full_url) if resource_type == "Patient" else None
        if full_url:
            index[full_url] = (resource_type, key)
        if isinstance(head.id, str):
            index[f"{resource_type}/{head.id}"] = (resource_type, key)
        if resource_type == "Patient":
            picked.append((i, full_url, raw))
        elif resource_type in ("Condition", "Observation"):
            evidence_typed.append((i, raw))
            if _any_criterion(head.code, terminology) or (
                resource_type == "Observation"
                and _any_criterion(head.valueCodeableConcept, terminology)
            ):
                picked.append((i, full_url, raw))

    def path(i: int) -> str:
        return f"{root}.entry[{i}].resource"

    parsed = ((i, path(i), full_url, _resource(raw)) for i, full_url, raw in picked)
    subjects = ((path(i), _SUBJECT.decode(raw).subject) for i, raw in evidence_typed)
    return _select(parsed, subjects, index, root, len(entries))


def _resource(raw: msgspec.Raw) -> Json:
    resource: Json = orjson.loads(memoryview(raw))
    return resource


def _unwrap_skeleton(document: _Document) -> tuple[_Bundle, str]:
    """`_unwrap` on the skeleton (a non-object anywhere it reads already fell back)."""
    resource_type = document.resourceType
    if resource_type == "Bundle":
        return document, "Bundle"
    if resource_type != "Parameters":
        raise UnprocessablePayload(
            "Expected a Bundle, or a Parameters with a 'bundle' part",
            code="not-supported" if isinstance(resource_type, str) else "structure",
            expression=[resource_type if isinstance(resource_type, str) else "resourceType"],
        )
    parts = [(k, p) for k, p in enumerate(document.parameter) if p.name == "bundle"]
    if not parts:
        raise UnprocessablePayload(
            "Parameters must have a 'bundle' part",
            code="required",
            expression=["Parameters.parameter"],
        )
    if len(parts) > 1:
        raise UnprocessablePayload(
            "Parameters must have only one 'bundle' part",
            expression=[f"Parameters.parameter[{parts[1][0]}]"],
        )
    k, part = parts[0]
    bundle = part.resource
    if bundle is None or bundle.resourceType != "Bundle":
        raise UnprocessablePayload(
            "The 'bundle' part must hold a Bundle resource",
            expression=[f"Parameters.parameter[{k}].resource"],
        )
    return bundle, f"Parameters.parameter[{k}].resource"


def _usable_raw(
    entries: Sequence[_Entry], root: str
) -> Iterator[tuple[int, str | None, msgspec.Raw]]:
    """`_usable_entries` on skeleton entries: (index, fullUrl, resource bytes)."""
    for i, entry in enumerate(entries):
        search = entry.search
        if _first_byte(search) == b"{" and _SEARCH.decode(search).mode == "outcome":
            continue
        resource = entry.resource
        first = _first_byte(resource)
        if first in (b"", b"n"):  # absent or null
            continue
        if first != b"{":
            raise UnprocessablePayload(
                "Bundle.entry.resource must be a resource",
                code="structure",
                expression=[f"{root}.entry[{i}].resource"],
            )
        full_url = entry.fullUrl
        yield i, full_url.strip() if isinstance(full_url, str) else None, resource


def _first_byte(raw: msgspec.Raw) -> bytes:
    return bytes(memoryview(raw)[:1])


def _parse(body: bytes) -> object:
    if body.startswith(UTF8_BOM):
        # RFC 8259 lets a parser ignore a leading byte-order mark; some Windows
        # integration engines send one. (The skeleton path refuses it and falls back here.)
        body = body[len(UTF8_BOM) :]
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in exc.msg.lower():
            raise PayloadTooLarge(
                "The JSON is nested deeper than the limit of 1024 levels"
            ) from None
        if "utf-8" in exc.msg.lower():
            raise UnreadableInput("The request body is not valid UTF-8") from None
        raise UnreadableInput(
            f"The request body is not valid JSON (at position {exc.pos})"
        ) from None


def _unwrap(document: object) -> tuple[Json, str]:
    """The Bundle and the FHIRPath of its root in the request."""
    if not isinstance(document, dict):
        raise UnprocessablePayload("The request body must be a FHIR resource (a JSON object)")
    resource_type = document.get("resourceType")
    if resource_type == "Bundle":
        return document, "Bundle"
    if resource_type != "Parameters":
        raise UnprocessablePayload(
            "Expected a Bundle, or a Parameters with a 'bundle' part",
            code="not-supported" if isinstance(resource_type, str) else "structure",
            expression=[resource_type if isinstance(resource_type, str) else "resourceType"],
        )
    parameters = document.get("parameter")
    parts = [
        (k, p)
        for k, p in enumerate(parameters if isinstance(parameters, list) else [])
        if isinstance(p, dict) and p.get("name") == "bundle"
    ]
    if not parts:
        raise UnprocessablePayload(
            "Parameters must have a 'bundle' part",
            code="required",
            expression=["Parameters.parameter"],
        )
    if len(parts) > 1:
        raise UnprocessablePayload(
            "Parameters must have only one 'bundle' part",
            expression=[f"Parameters.parameter[{parts[1][0]}]"],
        )
    k, part = parts[0]
    bundle = part.get("resource")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise UnprocessablePayload(
            "The 'bundle' part must hold a Bundle resource",
            expression=[f"Parameters.parameter[{k}].resource"],
        )
    return bundle, f"Parameters.parameter[{k}].resource"


def _usable_entries(
    entries: Sequence[object], root: str
) -> Iterator[tuple[int, str, str | None, Json]]:
    """(index, resource path, fullUrl, resource) of entries that hold a resource.

    Search outcome entries (OperationOutcomes about the search) are skipped; entries
    without a resource (a transaction DELETE, a response) have nothing to read.
    """
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise UnprocessablePayload(
                "A Bundle entry must be an object",
                code="structure",
                expression=[f"{root}.entry[{i}]"],
            )
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        resource = entry.get("resource")
        if resource is None:
            continue
        path = f"{root}.entry[{i}].resource"
        if not isinstance(resource, dict):
            raise UnprocessablePayload(
                "Bundle.entry.resource must be a resource", code="structure", expression=[path]
            )
        full_url = entry.get("fullUrl")
        yield i, path, full_url.strip() if isinstance(full_url, str) else None, resource


def _hits(resource: Json, terminology: Terminology) -> bool:
    if _any_criterion(resource.get("code"), terminology):
        return True
    return resource.get("resourceType") == "Observation" and _any_criterion(
        resource.get("valueCodeableConcept"), terminology
    )


def _any_criterion(concept: object, terminology: Terminology) -> bool:
    """`bool(terminology.criteria_in(concept))`, stopping at the first hit.

    Runs for every Condition and Observation of the bundle; building the ordered
    criteria tuple for each was 2x slower (bench, 10k entries).
    """
    if not isinstance(concept, dict):
        return False
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return False
    for coding in codings:
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if (
                isinstance(system, str)
                and isinstance(code, str)
                and terminology.criteria_for(system, code)
            ):
                return True
    return False


def _validate(resource: Json, path: str) -> None:
    resource_type = str(resource["resourceType"])
    try:
        _MODELS[resource_type].model_validate(resource)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if not _forgiven(e)]
        if not errors:
            return
        first = errors[0]
        element = _fhirpath(first["loc"])
        where = f"{resource_type}.{element}" if element else resource_type
        if "missing" in first["type"]:
            message = f"Missing required element {where}"
        elif first["type"] == "extra_forbidden":
            message = f"Unknown element {where}"
        else:
            message = f"Invalid value for {where}"
        raise UnprocessablePayload(
            message,
            code="required" if "missing" in first["type"] else "structure",
            expression=[f"{path}.{element}" if element else path],
        ) from None


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


def _check_bindings(resource: Json, path: str) -> None:
    """The required bindings the rules read, which the models do not check."""
    if resource["resourceType"] == "Observation":
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
    verification = resource.get("verificationStatus") or {}
    for n, coding in enumerate(verification.get("coding") or []):
        system, code = coding.get("system"), coding.get("code")
        if (
            isinstance(system, str)
            and system.strip() == CONDITION_VER_STATUS
            and (not isinstance(code, str) or code.strip() not in CONDITION_VER_STATUSES)
        ):
            raise UnprocessablePayload(
                "Condition.verificationStatus is not a condition-ver-status code",
                code="code-invalid",
                expression=[f"{path}.verificationStatus.coding[{n}].code"],
            )


def _reference_index(
    usable: Sequence[tuple[int, str, str | None, Json]],
) -> dict[str, tuple[str, str | None]]:
    """Every way an entry can be referenced -> (resource type, patient key if a Patient)."""
    index: dict[str, tuple[str, str | None]] = {}
    for _, _, full_url, resource in usable:
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str):
            continue
        key = _patient_key(resource, full_url) if resource_type == "Patient" else None
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


def _patient_key(patient: Json, full_url: str | None) -> str | None:
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
