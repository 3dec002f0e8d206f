"""The course-of-treatment data in `profiles/`, loaded once: agent classes, products, tracking.

Which codes make a record a corticosteroid, IVIG or speech therapy; which product-level RxNorm
code is which ingredient; which checklist action follows which classes, and how: all of it is
read from the SUSHI output (the agent ValueSets, the ConceptMap oms-rxnorm-product-ingredient
and the checklist PlanDefinition's `action.documentation` of type depends-on with the
extension oms-course-tracking), never from Python literals. An inconsistent profile (a tracked
action naming a missing ValueSet, a product mapped to an ingredient no agent ValueSet lists)
refuses the start: a silently partial table would miscount what a child was given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from service.domain.course import TrackedItem, TrackingRule
from service.errors import TerminologyError
from service.fhir_json import Json
from service.profile_files import read_resource

CANONICAL_BASE: Final = "http://oms-cds.org/fhir"
CHECKLIST_FILE: Final = "PlanDefinition-oms-therapy-checklist.json"
CONCEPT_MAP_FILE: Final = "ConceptMap-oms-rxnorm-product-ingredient.json"
TRACKING_EXTENSION: Final = f"{CANONICAL_BASE}/StructureDefinition/oms-course-tracking"
CHECKLIST_SYSTEM: Final = f"{CANONICAL_BASE}/CodeSystem/oms-therapy-checklist"

Pair = tuple[str, str]
#: Raw (system, code) answers `tracks` remembers, at most.
_MEMO_SIZE: Final = 65_536
Normalise = Callable[[str, str], Pair]
_NO_CLASSES: Final[Mapping[Pair, frozenset[str]]] = MappingProxyType({})
_NO_PAIRS: Final[Mapping[Pair, Pair]] = MappingProxyType({})
_NO_WORDS: Final[Mapping[Pair, str]] = MappingProxyType({})
_NO_WORDS_BY_URL: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class TreatmentTerminology:
    """Agent classes by code, product-to-ingredient map, displays, and the tracked items.

    Pairs are stored as `normalise` (the NamingSystem aliases) returns them.
    """

    tracked: tuple[TrackedItem, ...]
    class_titles: Mapping[str, str]
    _normalise: Normalise
    _classes: Mapping[Pair, frozenset[str]]
    _ingredients: Mapping[Pair, Pair]
    _displays: Mapping[Pair, str]
    _memo: dict[Pair, bool] = field(default_factory=dict, repr=False)

    def tracks(self, system: str, code: str) -> bool:
        """Whether this raw (system, code) falls in an agent class, itself or as a product.

        Asked for every coding of every Observation and medication record while the
        request is walked, mostly the same few hundred codes: answers are remembered."""
        known = self._memo.get((system, code))
        if known is None:
            pair = self._normalise(system, code)
            known = pair in self._classes or pair in self._ingredients
            if len(self._memo) < _MEMO_SIZE:
                self._memo[system, code] = known
        return known

    def classify(self, codings: Iterable[Pair]) -> frozenset[str]:
        """The agent classes (ValueSet canonicals) any of these (system, code) pairs falls in,
        directly or through its ingredient. Empty: a record that matches nothing."""
        found: set[str] = set()
        for system, code in codings:
            pair = self._normalise(system, code)
            found |= self._classes.get(pair, frozenset())
            ingredient = self._ingredients.get(pair)
            if ingredient is not None:
                found |= self._classes.get(ingredient, frozenset())
        return frozenset(found)

    def search_codes(self, systems: Iterable[str]) -> tuple[str, ...]:
        """Every agent, procedure, test or product code of these systems (without the
        system), for a search narrowed to what the course can count."""
        wanted = {self._normalise(system, "")[0] for system in systems}
        return tuple(
            sorted(
                {code for system, code in (*self._classes, *self._ingredients) if system in wanted}
            )
        )

    def ingredient_of(self, system: str, code: str) -> Pair | None:
        """The ingredient a product-level RxNorm code maps to, else None."""
        return self._ingredients.get(self._normalise(system, code))

    def display(self, system: str, code: str) -> str | None:
        """Words for a code from the agent ValueSets or the ConceptMap, for codings sent bare."""
        return self._displays.get(self._normalise(system, code))


def load_treatment_terminology(
    folder: Path, value_sets: Mapping[str, Json], normalise: Normalise
) -> TreatmentTerminology:
    """Read the checklist's tracking links, their ValueSets and the product ConceptMap.

    A folder without the checklist (a criteria-only test fixture) tracks nothing; once the
    checklist tracks an item, its ValueSets and the ConceptMap must be there and agree.
    """
    if not (folder / CHECKLIST_FILE).is_file():
        return TreatmentTerminology(
            (), _NO_WORDS_BY_URL, normalise, _NO_CLASSES, _NO_PAIRS, _NO_WORDS
        )
    checklist = read_resource(folder / CHECKLIST_FILE, "PlanDefinition")
    tracked = tuple(_tracked(checklist, value_sets))
    urls = {url for item in tracked for url in item.classes}
    classes: dict[Pair, set[str]] = {}
    displays: dict[Pair, str] = {}
    for url in sorted(urls):
        for pair, display in _concepts(value_sets[url], url, normalise):
            classes.setdefault(pair, set()).add(url)
            if display:
                displays.setdefault(pair, display)
    ingredients = _products(
        read_resource(folder / CONCEPT_MAP_FILE, "ConceptMap"), normalise, displays
    )
    orphans = {target for target in ingredients.values() if target not in classes}
    if orphans:
        raise TerminologyError(
            f"{CONCEPT_MAP_FILE} maps to ingredients no agent ValueSet lists: {sorted(orphans)}"
        )
    return TreatmentTerminology(
        tracked=tracked,
        class_titles=MappingProxyType(
            {url: str(value_sets[url].get("title") or url) for url in sorted(urls)}
        ),
        _normalise=normalise,
        _classes=MappingProxyType({p: frozenset(c) for p, c in classes.items()}),
        _ingredients=MappingProxyType(ingredients),
        _displays=MappingProxyType(displays),
    )


def _tracked(checklist: Json, value_sets: Mapping[str, Json]) -> Iterable[TrackedItem]:
    for n, action in enumerate(checklist.get("action") or []):
        rules = [
            e.get("valueCode")
            for e in action.get("extension") or []
            if isinstance(e, dict) and e.get("url") == TRACKING_EXTENSION
        ]
        links = [
            d
            for d in action.get("documentation") or []
            if isinstance(d, dict) and d.get("type") == "depends-on"
        ]
        if not rules and not links:
            continue
        where = f"{CHECKLIST_FILE} action[{n}]"
        if len(rules) != 1 or rules[0] not in {r.value for r in TrackingRule} or not links:
            raise TerminologyError(f"{where} needs one tracking rule and depends-on ValueSets")
        rule = TrackingRule(rules[0])
        urls = tuple(str(d.get("resource", "")).split("|", 1)[0] for d in links)
        missing = [u for u in urls if u not in value_sets]
        if missing:
            raise TerminologyError(f"{where} depends on ValueSets profiles/ lacks: {missing}")
        groups = tuple(str(d.get("label") or "") for d in links)
        if rule is TrackingRule.COMBINATION and (not all(groups) or len(set(groups)) < 2):
            raise TerminologyError(f"{where}: a combination needs two or more labelled groups")
        yield TrackedItem(
            code=_checklist_code(action, where),
            rule=rule,
            classes=urls,
            groups=groups if rule is TrackingRule.COMBINATION else (),
        )


def _checklist_code(action: Json, where: str) -> str:
    for concept in action.get("code") or []:
        for coding in (concept or {}).get("coding") or []:
            if coding.get("system") == CHECKLIST_SYSTEM and isinstance(coding.get("code"), str):
                return str(coding["code"])
    raise TerminologyError(f"{where} has no code from {CHECKLIST_SYSTEM}")


def _concepts(value_set: Json, url: str, normalise: Normalise) -> Iterable[tuple[Pair, str]]:
    """Explicit concepts only: a filter or an included ValueSet cannot be evaluated offline."""
    includes = (value_set.get("compose") or {}).get("include") or []
    if not includes:
        raise TerminologyError(f"ValueSet {url} lists no concepts")
    for include in includes:
        system, concepts = include.get("system"), include.get("concept") or []
        if include.get("filter") or include.get("valueSet") or not concepts:
            raise TerminologyError(f"ValueSet {url} must list its concepts explicitly")
        for concept in concepts:
            code = concept.get("code")
            if not isinstance(system, str) or not isinstance(code, str):
                raise TerminologyError(f"ValueSet {url} has a concept without system or code")
            yield normalise(system, code), str(concept.get("display") or "")


def _products(
    concept_map: Json, normalise: Normalise, displays: dict[Pair, str]
) -> dict[Pair, Pair]:
    found: dict[Pair, Pair] = {}
    for group in concept_map.get("group") or []:
        source, target = group.get("source"), group.get("target")
        if not isinstance(source, str) or not isinstance(target, str):
            raise TerminologyError(f"{CONCEPT_MAP_FILE} group needs a source and a target system")
        for element in group.get("element") or []:
            targets = [t for t in element.get("target") or [] if t.get("equivalence") == "wider"]
            code = element.get("code")
            if not isinstance(code, str) or len(targets) != 1 or not targets[0].get("code"):
                raise TerminologyError(f"{CONCEPT_MAP_FILE}: {code} needs one 'wider' target")
            product = normalise(source, code)
            found[product] = normalise(target, str(targets[0]["code"]))
            if element.get("display"):
                displays.setdefault(product, str(element["display"]))
    if not found:
        raise TerminologyError(f"{CONCEPT_MAP_FILE} maps nothing")
    return found
