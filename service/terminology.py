"""The clinical knowledge in `profiles/`, loaded once and checked at start-up.

Which codes count for which criterion, which Observation values mean present or
absent, which code-system URIs are aliases: all of it comes from the SUSHI output in
`profiles/fsh-generated/resources`, never from Python literals. Loading fails loudly
(`TerminologyError`) rather than letting the service run with a partial rule set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from service.errors import TerminologyError
from service.settings import Settings

CANONICAL_BASE = "http://oms-cds.org/fhir"
CRITERIA_CODE_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/oms-criteria"
CRITERIA_FILE = "CodeSystem-oms-criteria.json"
PRESENT_FILE = "ValueSet-oms-finding-present.json"
ABSENT_FILE = "ValueSet-oms-finding-absent.json"
HPO_NAMING_FILE = "NamingSystem-hpo.json"

Json = dict[str, Any]
Pair = tuple[str, str]


@dataclass(frozen=True, eq=False)
class Terminology:
    """Criterion codes, finding values, system aliases and the raw definitions by URL.

    Immutable and shared: build it with `load_terminology` once per process. All code
    pairs are stored normalised: alias system replaced by the preferred URI, surrounding
    whitespace stripped.
    """

    criteria: tuple[str, ...]
    criterion_displays: Mapping[str, str]
    criterion_codes: Mapping[str, frozenset[Pair]]
    present_values: frozenset[Pair]
    absent_values: frozenset[Pair]
    system_aliases: Mapping[str, str]
    code_systems: Mapping[str, Json]
    value_sets: Mapping[str, Json]
    plan_definitions: Mapping[str, Json]
    structure_definitions: Mapping[str, Json]
    _by_pair: Mapping[Pair, tuple[str, ...]]

    def normalise(self, system: str, code: str) -> Pair:
        """The pair as stored: preferred system URI, code without surrounding whitespace."""
        system = system.strip()
        return self.system_aliases.get(system, system), code.strip()

    def criteria_for(self, system: str, code: str) -> tuple[str, ...]:
        """The criteria (in CodeSystem order) whose ValueSet holds this code; () if none."""
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

    def criteria_in(self, concept: object) -> tuple[str, ...]:
        """Every criterion any coding of the CodeableConcept dict hits, in CodeSystem order."""
        hits = {c for pair in self.pairs(concept) for c in self._by_pair.get(pair, ())}
        return tuple(c for c in self.criteria if c in hits)

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


def load_terminology(folder: Path | None = None) -> Terminology:
    """Read and cross-check the SUSHI output in `folder` (default: `Settings().profiles_dir`)."""
    folder = Settings().profiles_dir if folder is None else folder
    if not folder.is_dir():
        raise TerminologyError(f"terminology folder {folder} does not exist")

    aliases = _aliases(_read(folder / HPO_NAMING_FILE, "NamingSystem"))

    def normalise(system: str, code: str) -> Pair:
        system = system.strip()
        return aliases.get(system, system), code.strip()

    code_system = _read(folder / CRITERIA_FILE, "CodeSystem")
    if code_system.get("url") != CRITERIA_CODE_SYSTEM:
        raise TerminologyError(f"{CRITERIA_FILE} must have url {CRITERIA_CODE_SYSTEM}")
    displays: dict[str, str] = {}
    for concept in code_system.get("concept") or []:
        code = concept.get("code")
        if not isinstance(code, str) or not code or code in displays:
            raise TerminologyError(f"{CRITERIA_FILE} has a missing or repeated concept code")
        displays[code] = str(concept.get("display") or code)
    if not displays:
        raise TerminologyError(f"{CRITERIA_FILE} defines no criteria")
    criteria = tuple(displays)

    codes: dict[str, frozenset[Pair]] = {}
    for criterion in criteria:
        name = f"ValueSet-oms-criterion-{criterion}.json"
        value_set = _read(folder / name, "ValueSet")
        url = f"{CANONICAL_BASE}/ValueSet/oms-criterion-{criterion}"
        if value_set.get("url") != url:
            raise TerminologyError(f"{name} must have url {url} to match {CRITERIA_FILE}")
        codes[criterion] = _concepts(value_set, name, normalise)

    present = _concepts(_read(folder / PRESENT_FILE, "ValueSet"), PRESENT_FILE, normalise)
    absent = _concepts(_read(folder / ABSENT_FILE, "ValueSet"), ABSENT_FILE, normalise)
    if present & absent:
        raise TerminologyError(f"{PRESENT_FILE} and {ABSENT_FILE} share codes")

    by_pair: dict[Pair, tuple[str, ...]] = {}
    for criterion in criteria:
        for pair in codes[criterion]:
            by_pair[pair] = (*by_pair.get(pair, ()), criterion)
    if not by_pair.keys().isdisjoint(present | absent):
        # A value that is also a finding would make Observation patterns A and B ambiguous.
        raise TerminologyError(f"{PRESENT_FILE} or {ABSENT_FILE} shares codes with a criterion")

    tables = _definitions(folder)
    return Terminology(
        criteria=criteria,
        criterion_displays=MappingProxyType(displays),
        criterion_codes=MappingProxyType(codes),
        present_values=present,
        absent_values=absent,
        system_aliases=MappingProxyType(aliases),
        code_systems=MappingProxyType(tables["CodeSystem"]),
        value_sets=MappingProxyType(tables["ValueSet"]),
        plan_definitions=MappingProxyType(tables["PlanDefinition"]),
        structure_definitions=MappingProxyType(tables["StructureDefinition"]),
        _by_pair=MappingProxyType(by_pair),
    )


@cache
def default_terminology() -> Terminology:
    """The process-wide Terminology from the configured folder, loaded on first use."""
    return load_terminology()


def _read(path: Path, resource_type: str) -> Json:
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise TerminologyError(f"terminology file {path} is missing") from None
    except orjson.JSONDecodeError as exc:
        raise TerminologyError(f"terminology file {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("resourceType") != resource_type:
        raise TerminologyError(f"terminology file {path} is not a {resource_type}")
    return data


def _aliases(naming_system: Json) -> dict[str, str]:
    """Map every non-preferred `uri` uniqueId to the preferred one."""
    uris = [u for u in naming_system.get("uniqueId") or [] if u.get("type") == "uri"]
    preferred = [u["value"] for u in uris if u.get("preferred") is True]
    if len(preferred) != 1:
        raise TerminologyError(f"{HPO_NAMING_FILE} needs exactly one preferred uri uniqueId")
    return {u["value"]: preferred[0] for u in uris if u.get("preferred") is not True}


def _concepts(value_set: Json, name: str, normalise: Callable[[str, str], Pair]) -> frozenset[Pair]:
    """Explicit concepts of compose.include minus compose.exclude; filters are ignored."""
    compose = value_set.get("compose") or {}

    def listed(part: str) -> set[Pair]:
        found: set[Pair] = set()
        for include in compose.get(part) or []:
            system = include.get("system")
            for concept in include.get("concept") or []:
                if not isinstance(system, str) or not isinstance(concept.get("code"), str):
                    raise TerminologyError(f"{name} has a concept without system or code")
                found.add(normalise(system, concept["code"]))
        return found

    pairs = frozenset(listed("include") - listed("exclude"))
    if not pairs:
        raise TerminologyError(f"{name} lists no concepts")
    return pairs


def _definitions(folder: Path) -> dict[str, dict[str, Json]]:
    tables: dict[str, dict[str, Json]] = {
        "CodeSystem": {},
        "ValueSet": {},
        "PlanDefinition": {},
        "StructureDefinition": {},
    }
    for path in sorted(folder.glob("*.json")):
        resource_type = path.name.split("-", 1)[0]
        if resource_type in tables:
            resource = _read(path, resource_type)
            url = resource.get("url")
            if not isinstance(url, str):
                raise TerminologyError(f"terminology file {path} has no canonical url")
            tables[resource_type][url] = resource
    return tables
