"""The clinical knowledge in `profiles/`, loaded once and checked at start-up.

Which codes count for which criterion (and in whom), which Observation values mean
present or absent, which questions carry the finding in their answer, which codes
record the diagnosis itself, which code-system URIs and code spellings are aliases: all
of it comes from the SUSHI output in `profiles/fsh-generated/resources`, never from
Python literals. Loading fails loudly (`TerminologyError`) rather than letting the
service run with a partial rule set; in particular a ValueSet feature that cannot be
evaluated offline (a filter such as `is-a`, an included ValueSet, a whole code system)
refuses the start, since silently under-matching it would miss evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from service import defaults
from service.domain.dates import AgeSpan
from service.errors import TerminologyError
from service.fhir_json import Json
from service.profile_files import read_resource
from service.treatment_terminology import TreatmentTerminology, load_treatment_terminology

CANONICAL_BASE = "http://oms-cds.org/fhir"
CRITERIA_CODE_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/oms-criteria"
CRITERIA_FILE = "CodeSystem-oms-criteria.json"
PRESENT_FILE = "ValueSet-oms-finding-present.json"
ABSENT_FILE = "ValueSet-oms-finding-absent.json"
QUESTION_FILE = "ValueSet-oms-finding-question.json"
DIAGNOSIS_FILE = "ValueSet-oms-diagnosis.json"
INTERPRETATION_PRESENT_FILE = "ValueSet-oms-interpretation-present.json"
INTERPRETATION_ABSENT_FILE = "ValueSet-oms-interpretation-absent.json"
PATIENT_REFERENCE_FILE = "CodeSystem-oms-patient-reference-element.json"
KNOWN_MODIFIER_FILE = "CodeSystem-oms-known-modifier-extension.json"
REPORTED_CATEGORY_FILE = "ValueSet-oms-reported-condition-category.json"
CRITERION_VALUE_SET_PREFIX = f"{CANONICAL_BASE}/ValueSet/oms-criterion-"
CODE_FORMAT = f"{CANONICAL_BASE}/StructureDefinition/oms-code-format"
#: CodeSystem properties of oms-criteria that the risk rule reads.
NEUROLOGICAL_SIGN: Final = "neurological-sign"
WARRANTS_WORK_UP_ALONE: Final = "warrants-work-up-alone"
NOT_MET_WORDING: Final = "not-met-wording"
TUMOUR: Final = "tumour"
_USAGE_CONTEXT = "http://terminology.hl7.org/CodeSystem/usage-context-type"

Pair = tuple[str, str]
#: `Terminology.code_flags`: a code a criterion or the diagnosis may count; an agent code.
RELEVANT: Final = 1
TRACKED: Final = 2
#: Raw (system, code) answers `Terminology.relevant` remembers, at most.
_MEMO_SIZE: Final = 65_536


@dataclass(frozen=True, slots=True)
class CodeFormat:
    """How codes of one system may be spelt: characters to drop, a prefix that may be absent."""

    ignored: str = ""
    optional_prefixes: tuple[str, ...] = ()

    def canonical(self, code: str) -> str:
        for prefix in self.optional_prefixes:
            if code.startswith(prefix):
                code = code[len(prefix) :]
                break
        for character in self.ignored:
            code = code.replace(character, "")
        return code


@dataclass(frozen=True, slots=True)
class AgeLimitedCodes:
    """Codes that count for `criterion` only in a patient aged `min_years`..`max_years`
    (completed years, inclusive) at onset, or of unknown age."""

    criterion: str
    pairs: frozenset[Pair]
    min_years: int
    max_years: int


@dataclass(slots=True)
class _FlagsMemo:
    """`Terminology.code_flags`'s answers by system, then code: two lookups on the strings
    as decoded, with no pair built per code (138 -> 85 us for the 386 concepts of the
    300-resource hook of bench [11]). Bounded in codes."""

    by_system: dict[str, dict[str, int]] = field(default_factory=dict)
    size: int = 0


@dataclass(frozen=True, eq=False)
class Terminology:
    """Criterion codes, finding values and questions, system aliases, the definitions by URL.

    Immutable and shared: build it with `load_terminology` once per process. All code
    pairs are stored normalised (see `normalise`).
    """

    criteria: tuple[str, ...]
    criterion_displays: Mapping[str, str]
    not_met_words: Mapping[str, str]
    neurological_signs: frozenset[str]
    warrants_work_up_alone: frozenset[str]
    #: The criteria that are the tumour (CodeSystem property `tumour`): a procedure with one
    #: of them as its reason is a tumour resection.
    tumour_criteria: frozenset[str]
    criterion_codes: Mapping[str, frozenset[Pair]]
    criterion_exclusions: Mapping[str, frozenset[Pair]]
    age_limited: tuple[AgeLimitedCodes, ...]
    diagnosis_codes: frozenset[Pair]
    question_codes: frozenset[Pair]
    present_values: frozenset[Pair]
    absent_values: frozenset[Pair]
    interpretation_present: frozenset[Pair]
    reported_categories: frozenset[Pair]
    interpretation_absent: frozenset[Pair]
    #: (resource type, element) pairs that refer to a patient; type None: every type.
    patient_elements: tuple[tuple[str | None, str], ...]
    #: modifierExtension URLs the service understands (any other refuses the resource).
    known_modifiers: frozenset[str]
    search_codes: tuple[str, ...]
    system_aliases: Mapping[str, str]
    code_formats: Mapping[str, CodeFormat]
    code_systems: Mapping[str, Json]
    value_sets: Mapping[str, Json]
    plan_definitions: Mapping[str, Json]
    structure_definitions: Mapping[str, Json]
    operation_definitions: Mapping[str, Json]
    concept_maps: Mapping[str, Json]
    #: The course of treatment: agent classes, product ingredients, tracked checklist items.
    treatment: TreatmentTerminology
    _by_pair: Mapping[Pair, tuple[str, ...]]
    _relevant: frozenset[Pair]
    _memo: dict[Pair, bool] = field(default_factory=dict, repr=False)
    _flags_memo: _FlagsMemo = field(default_factory=lambda: _FlagsMemo(), repr=False)

    def normalise(self, system: str, code: str) -> Pair:
        """The pair as stored: preferred system URI, code in its canonical spelling.

        Surrounding whitespace is dropped; a NamingSystem's code format may drop
        characters (the ICD-10 dot) or an optional prefix (`ORPHA:`).
        """
        system = system.strip()
        system = self.system_aliases.get(system, system)
        code = code.strip()
        code_format = self.code_formats.get(system)
        return system, code if code_format is None else code_format.canonical(code)

    def relevant(self, system: str, code: str) -> bool:
        """Whether this code can ever matter: a criterion (any age), or the diagnosis.

        Asked for every coding of every Condition and Observation, mostly the same few
        hundred LOINC codes: answers are remembered (a bounded memo)."""
        known = self._memo.get((system, code))
        if known is None:
            known = self.normalise(system, code) in self._relevant
            if len(self._memo) < _MEMO_SIZE:
                self._memo[system, code] = known
        return known

    def code_flags(self, system: str, code: str) -> int:
        """`RELEVANT` (a criterion, at any age, or the diagnosis) | `TRACKED` (an agent
        class, itself or as a product) for a raw coding: what the walk asks of every code
        of every resource, remembered (a bounded memo), so each code is looked up once."""
        memo = self._flags_memo
        codes = memo.by_system.get(system)
        if codes is not None:
            known = codes.get(code)
            if known is not None:
                return known
        known = (RELEVANT if self.relevant(system, code) else 0) | (
            TRACKED if self.treatment.tracks(system, code) else 0
        )
        if memo.size < _MEMO_SIZE:
            memo.by_system.setdefault(system, {})[code] = known
            memo.size += 1
        return known

    def criteria_for(self, system: str, code: str) -> tuple[str, ...]:
        """The criteria (in CodeSystem order) whose main ValueSet holds this code; () if none."""
        return self._by_pair.get(self.normalise(system, code), ())

    def pairs(self, concept: object) -> Iterator[Pair]:
        """Normalised (system, code) of each usable coding of a CodeableConcept dict.

        Tolerates any JSON shape (the input is not validated when this runs): codings
        without a string system and code are skipped, display is never looked at.
        """
        if not isinstance(concept, dict):
            return
        codings = concept.get("coding")
        if not isinstance(codings, list):
            return
        for coding in codings:
            if isinstance(coding, dict):
                system, code = coding.get("system"), coding.get("code")
                if isinstance(system, str) and isinstance(code, str):
                    yield self.normalise(system, code)

    def criteria_in(self, concept: object, age: AgeSpan | None = None) -> tuple[str, ...]:
        """Every criterion the CodeableConcept dict records, in CodeSystem order.

        `age`: the patient's age when the finding began (None: unknown), for codes that
        count only at some ages: they count when the age may have been in their range, or
        is unknown (an interval reaching below 18 may be a child). A coding in a criterion's
        exclusions vetoes that criterion for the whole concept: a more specific code
        says it is not the kind of finding the criterion means.
        """
        pairs = set(self.pairs(concept))
        hits = {c for pair in pairs for c in self._by_pair.get(pair, ())}
        for limited in self.age_limited:
            if not pairs.isdisjoint(limited.pairs) and (
                age is None or age.overlaps(limited.min_years, limited.max_years)
            ):
                hits.add(limited.criterion)
        return tuple(
            c for c in self.criteria if c in hits and pairs.isdisjoint(self.criterion_exclusions[c])
        )

    def records_diagnosis(self, concept: object) -> bool:
        """Whether a coding of the CodeableConcept dict is an OMS diagnosis code."""
        return not self.diagnosis_codes.isdisjoint(self.pairs(concept))

    def is_finding_question(self, concept: object) -> bool:
        """Whether the Observation code asks a generic question answered by the finding."""
        return not self.question_codes.isdisjoint(self.pairs(concept))

    def finding_value(self, concept: object) -> bool | None:
        """True if a coding says present, False if one says absent, None if neither.

        A concept coded both ways is contradictory and gives None.
        """
        pairs = set(self.pairs(concept))
        present = not pairs.isdisjoint(self.present_values)
        absent = not pairs.isdisjoint(self.absent_values)
        if present == absent:
            return None
        return present

    def interpretation(self, concepts: object) -> bool | None:
        """What `Observation.interpretation` (a list of CodeableConcepts) says of the
        finding: True present (POS, DET), False absent (NEG, ND), None neither or both."""
        if not isinstance(concepts, list):
            return None
        pairs = {pair for concept in concepts for pair in self.pairs(concept)}
        present = not pairs.isdisjoint(self.interpretation_present)
        absent = not pairs.isdisjoint(self.interpretation_absent)
        if present == absent:
            return None
        return present

    def is_reported_category(self, concept: object) -> bool:
        """Whether a Condition.category says the condition is a report or concern."""
        return not self.reported_categories.isdisjoint(self.pairs(concept))

    def patient_elements_of(self, resource_type: str | None) -> tuple[str, ...]:
        """The elements of a resource of this type that refer to a patient."""
        return tuple(e for t, e in self.patient_elements if t is None or t == resource_type)

    def definition_date(self, url: str) -> str:
        """The `date` of an OperationDefinition (or other definition) in `profiles/`."""
        canonical = url.split("|", 1)[0]
        found = self.operation_definitions.get(canonical)
        date = (found or self.definition(canonical)).get("date")
        if not isinstance(date, str):
            raise TerminologyError(f"profiles/ gives no date for {canonical}")
        return date

    def definition(self, url: str) -> Json:
        """The CodeSystem, ValueSet, PlanDefinition or StructureDefinition with this canonical.

        A `|version` suffix is ignored. Raises TerminologyError if `profiles/` lacks it.
        """
        canonical = url.split("|", 1)[0]
        for table in (
            self.plan_definitions,
            self.structure_definitions,
            self.value_sets,
            self.code_systems,
        ):
            if canonical in table:
                return table[canonical]
        raise TerminologyError(f"profiles/ has no definition with url {canonical}")


def load_terminology(folder: Path = defaults.PROFILES_DIR) -> Terminology:
    """Read and cross-check the SUSHI output in `folder` (default: the profiles shipped
    with the package; the app and CLI pass `Settings().profiles_dir`)."""
    if not folder.is_dir():
        raise TerminologyError(f"terminology folder {folder} does not exist")

    aliases, formats = _naming(folder)

    def normalise(system: str, code: str) -> Pair:
        system = system.strip()
        system = aliases.get(system, system)
        code_format = formats.get(system)
        code = code.strip()
        return system, code if code_format is None else code_format.canonical(code)

    code_system = read_resource(folder / CRITERIA_FILE, "CodeSystem")
    if code_system.get("url") != CRITERIA_CODE_SYSTEM:
        raise TerminologyError(f"{CRITERIA_FILE} must have url {CRITERIA_CODE_SYSTEM}")
    displays, flags, words = _criteria(code_system)
    criteria = tuple(displays)

    codes: dict[str, frozenset[Pair]] = {}
    exclusions: dict[str, frozenset[Pair]] = {}
    for criterion in criteria:
        name = f"ValueSet-oms-criterion-{criterion}.json"
        value_set = read_resource(folder / name, "ValueSet")
        url = f"{CRITERION_VALUE_SET_PREFIX}{criterion}"
        if value_set.get("url") != url:
            raise TerminologyError(f"{name} must have url {url} to match {CRITERIA_FILE}")
        codes[criterion] = _concepts(value_set, name, normalise)
        exclusions[criterion] = _concepts(value_set, name, normalise, part="exclude")

    tables = _definitions(folder)
    age_limited = tuple(
        _age_limited(value_set, criteria, normalise)
        for url, value_set in sorted(tables["ValueSet"].items())
        if url.startswith(CRITERION_VALUE_SET_PREFIX) and value_set.get("useContext")
    )

    present = _concepts(read_resource(folder / PRESENT_FILE, "ValueSet"), PRESENT_FILE, normalise)
    absent = _concepts(read_resource(folder / ABSENT_FILE, "ValueSet"), ABSENT_FILE, normalise)
    questions = _concepts(
        read_resource(folder / QUESTION_FILE, "ValueSet"), QUESTION_FILE, normalise
    )
    diagnosis = _concepts(
        read_resource(folder / DIAGNOSIS_FILE, "ValueSet"), DIAGNOSIS_FILE, normalise
    )
    if present & absent:
        raise TerminologyError(f"{PRESENT_FILE} and {ABSENT_FILE} share codes")
    positive = _concepts(
        read_resource(folder / INTERPRETATION_PRESENT_FILE, "ValueSet"),
        INTERPRETATION_PRESENT_FILE,
        normalise,
    )
    negative = _concepts(
        read_resource(folder / INTERPRETATION_ABSENT_FILE, "ValueSet"),
        INTERPRETATION_ABSENT_FILE,
        normalise,
    )
    if positive & negative:
        raise TerminologyError("the interpretation ValueSets share codes")

    by_pair: dict[Pair, tuple[str, ...]] = {}
    for criterion in criteria:
        for pair in codes[criterion]:
            by_pair[pair] = (*by_pair.get(pair, ()), criterion)
    findings = by_pair.keys() | {p for limited in age_limited for p in limited.pairs}
    if not findings.isdisjoint(present | absent | questions):
        # A value or question that is also a finding would make the patterns ambiguous.
        raise TerminologyError(
            f"{PRESENT_FILE}, {ABSENT_FILE} or {QUESTION_FILE} shares codes with a criterion"
        )

    searched = [f"{CRITERION_VALUE_SET_PREFIX}{c}" for c in criteria] + [
        url
        for url, value_set in tables["ValueSet"].items()
        if url.startswith(CRITERION_VALUE_SET_PREFIX) and value_set.get("useContext")
    ]
    listed = [_listed_codes(tables["ValueSet"][url]) for url in searched] + [
        _listed_codes(read_resource(folder / DIAGNOSIS_FILE, "ValueSet"))
    ]
    return Terminology(
        criteria=criteria,
        criterion_displays=MappingProxyType(displays),
        not_met_words=MappingProxyType(words),
        neurological_signs=frozenset(c for c in criteria if NEUROLOGICAL_SIGN in flags[c]),
        warrants_work_up_alone=frozenset(c for c in criteria if WARRANTS_WORK_UP_ALONE in flags[c]),
        tumour_criteria=frozenset(c for c in criteria if TUMOUR in flags[c]),
        criterion_codes=MappingProxyType(codes),
        criterion_exclusions=MappingProxyType(exclusions),
        age_limited=age_limited,
        diagnosis_codes=diagnosis,
        question_codes=questions,
        present_values=present,
        absent_values=absent,
        interpretation_present=positive,
        reported_categories=_concepts(
            read_resource(folder / REPORTED_CATEGORY_FILE, "ValueSet"),
            REPORTED_CATEGORY_FILE,
            normalise,
        ),
        interpretation_absent=negative,
        patient_elements=_patient_elements(folder),
        known_modifiers=frozenset(
            _codes(read_resource(folder / KNOWN_MODIFIER_FILE, "CodeSystem"))
        ),
        search_codes=_spellings([pair for pairs in listed for pair in pairs], aliases, formats),
        system_aliases=MappingProxyType(aliases),
        code_formats=MappingProxyType(formats),
        code_systems=MappingProxyType(tables["CodeSystem"]),
        value_sets=MappingProxyType(tables["ValueSet"]),
        plan_definitions=MappingProxyType(tables["PlanDefinition"]),
        structure_definitions=MappingProxyType(tables["StructureDefinition"]),
        operation_definitions=MappingProxyType(tables["OperationDefinition"]),
        concept_maps=MappingProxyType(tables["ConceptMap"]),
        treatment=load_treatment_terminology(folder, tables["ValueSet"], normalise),
        _by_pair=MappingProxyType(by_pair),
        _relevant=frozenset(findings | diagnosis),
    )


def _criteria(
    code_system: Json,
) -> tuple[dict[str, str], dict[str, set[str]], dict[str, str]]:
    """Each criterion's display, the boolean properties true for it, its not-met wording."""
    displays: dict[str, str] = {}
    flags: dict[str, set[str]] = {}
    words: dict[str, str] = {}
    for concept in code_system.get("concept") or []:
        code = concept.get("code")
        if not isinstance(code, str) or not code or code in displays:
            raise TerminologyError(f"{CRITERIA_FILE} has a missing or repeated concept code")
        displays[code] = str(concept.get("display") or code)
        flags[code] = {
            p["code"]
            for p in concept.get("property") or []
            if isinstance(p, dict) and p.get("valueBoolean") is True
        }
        for p in concept.get("property") or []:
            if p.get("code") == NOT_MET_WORDING and isinstance(p.get("valueString"), str):
                words[code] = p["valueString"]
    if not displays:
        raise TerminologyError(f"{CRITERIA_FILE} defines no criteria")
    return displays, flags, words


def _codes(code_system: Json) -> list[str]:
    return [c["code"] for c in code_system.get("concept") or [] if isinstance(c.get("code"), str)]


def _patient_elements(folder: Path) -> tuple[tuple[str | None, str], ...]:
    """`subject` (every type) or `Observation.focus` (that type), from the CodeSystem."""
    found: list[tuple[str | None, str]] = []
    for code in _codes(read_resource(folder / PATIENT_REFERENCE_FILE, "CodeSystem")):
        resource_type, _, element = code.rpartition(".")
        if not element.isidentifier() or (resource_type and not resource_type.isidentifier()):
            raise TerminologyError(f"{PATIENT_REFERENCE_FILE}: {code} is not an element name")
        found.append((resource_type or None, element))
    if not found:
        raise TerminologyError(f"{PATIENT_REFERENCE_FILE} names no element")
    return tuple(found)


def _naming(folder: Path) -> tuple[dict[str, str], dict[str, CodeFormat]]:
    """From every NamingSystem: each alias -> the preferred URI, and each system's code format.

    A `uri` uniqueId is accepted as written; an `oid` as `urn:oid:<oid>` and bare.
    """
    aliases: dict[str, str] = {}
    formats: dict[str, CodeFormat] = {}
    paths = sorted(folder.glob("NamingSystem-*.json"))
    if not paths:
        raise TerminologyError(f"terminology folder {folder} has no NamingSystem")
    for path in paths:
        naming = read_resource(path, "NamingSystem")
        unique = [u for u in naming.get("uniqueId") or [] if isinstance(u, dict)]
        preferred = [
            u["value"] for u in unique if u.get("type") == "uri" and u.get("preferred") is True
        ]
        if len(preferred) != 1:
            raise TerminologyError(f"{path.name} needs exactly one preferred uri uniqueId")
        uri = preferred[0]
        for u in unique:
            value = u.get("value")
            if not isinstance(value, str) or value == uri:
                continue
            names = [value] if u.get("type") == "uri" else [f"urn:oid:{value}", value]
            for name in names:
                if aliases.get(name, uri) != uri:
                    raise TerminologyError(f"{path.name}: {name} is an alias of two systems")
                aliases[name] = uri
        code_format = _code_format(naming)
        if code_format is not None:
            formats[uri] = code_format
    return aliases, formats


def _code_format(naming: Json) -> CodeFormat | None:
    for extension in naming.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == CODE_FORMAT:
            parts = [p for p in extension.get("extension") or [] if isinstance(p, dict)]
            ignored = "".join(
                str(p.get("valueString", "")) for p in parts if p.get("url") == "ignoredCharacter"
            )
            prefixes = tuple(
                str(p["valueString"])
                for p in parts
                if p.get("url") == "optionalPrefix" and p.get("valueString")
            )
            return CodeFormat(ignored, prefixes)
    return None


def _concepts(
    value_set: Json,
    name: str,
    normalise: Callable[[str, str], Pair],
    part: str = "include",
) -> frozenset[Pair]:
    """The explicit concepts of `compose.include` (or `.exclude`).

    Anything that cannot be evaluated offline (a filter, an included ValueSet, a whole
    code system) refuses the load: the service must not under-match in silence.
    """
    compose = value_set.get("compose") or {}
    found: set[Pair] = set()
    for include in compose.get(part) or []:
        if include.get("filter") or include.get("valueSet"):
            raise TerminologyError(
                f"{name} uses a filter or an included ValueSet, which cannot be "
                "evaluated offline: list the concepts"
            )
        system = include.get("system")
        concepts = include.get("concept") or []
        if not concepts:
            raise TerminologyError(f"{name} includes a whole code system: list the concepts")
        for concept in concepts:
            if not isinstance(system, str) or not isinstance(concept.get("code"), str):
                raise TerminologyError(f"{name} has a concept without system or code")
            found.add(normalise(system, concept["code"]))
    if part == "include" and not found:
        raise TerminologyError(f"{name} lists no concepts")
    return frozenset(found)


def _listed_codes(value_set: Json) -> list[Pair]:
    """The included codes as the ValueSet writes them (not normalised)."""
    return [
        (include["system"], concept["code"])
        for include in (value_set.get("compose") or {}).get("include") or []
        for concept in include.get("concept") or []
    ]


def _spellings(
    pairs: list[Pair], aliases: Mapping[str, str], formats: Mapping[str, CodeFormat]
) -> tuple[str, ...]:
    """Each code in every spelling a FHIR server may hold it in (search tokens match
    exactly): as listed, in its canonical form, and with each optional prefix."""
    found: set[str] = set()
    for system, code in pairs:
        code_format = formats.get(aliases.get(system, system))
        found.add(code)
        if code_format is not None:
            canonical = code_format.canonical(code)
            found.add(canonical)
            found.update(prefix + canonical for prefix in code_format.optional_prefixes)
    return tuple(sorted(found))


def _age_limited(
    value_set: Json, criteria: tuple[str, ...], normalise: Callable[[str, str], Pair]
) -> AgeLimitedCodes:
    """A criterion ValueSet that counts only at some ages: its `focus` and `age` contexts."""
    name = f"ValueSet {value_set.get('url')}"
    focus: str | None = None
    ages: tuple[int, int] | None = None
    for context in value_set.get("useContext") or []:
        code = (context.get("code") or {}).get("code")
        if (context.get("code") or {}).get("system") != _USAGE_CONTEXT:
            continue
        if code == "focus":
            codings = (context.get("valueCodeableConcept") or {}).get("coding") or []
            focus = next(
                (c["code"] for c in codings if c.get("system") == CRITERIA_CODE_SYSTEM), None
            )
        elif code == "age":
            ages = _age_range(context.get("valueRange") or {}, name)
    if focus not in criteria or ages is None:
        raise TerminologyError(
            f"{name} needs a focus useContext naming a criterion and an age range in years"
        )
    assert focus is not None
    return AgeLimitedCodes(focus, _concepts(value_set, name, normalise), *ages)


def _age_range(value_range: Json, name: str) -> tuple[int, int]:
    bounds = []
    for end in ("low", "high"):
        quantity = value_range.get(end) or {}
        value = quantity.get("value")
        if quantity.get("code") != "a" or not isinstance(value, int):
            raise TerminologyError(f"{name}: the age range must be whole years (UCUM 'a')")
        bounds.append(value)
    return bounds[0], bounds[1]


def _definitions(folder: Path) -> dict[str, dict[str, Json]]:
    tables: dict[str, dict[str, Json]] = {
        "CodeSystem": {},
        "ValueSet": {},
        "PlanDefinition": {},
        "StructureDefinition": {},
        "OperationDefinition": {},
        "ConceptMap": {},
    }
    for path in sorted(folder.glob("*.json")):
        resource_type = path.name.split("-", 1)[0]
        if resource_type in tables:
            resource = read_resource(path, resource_type)
            url = resource.get("url")
            if not isinstance(url, str):
                raise TerminologyError(f"terminology file {path} has no canonical url")
            tables[resource_type][url] = resource
    return tables
