"""The results of one assessment as an idempotent `transaction` Bundle for a FHIR server.

Each resource is created conditionally on an assessment key: a digest of the patient,
the evidence set read from the server (references with versionId and lastUpdated) and
the rule-set version. The same data assessed again by the same rules gives the same
key, so a retried or repeated write creates nothing; a new or changed Observation, or
new rules, give a new key and a new assessment beside the old one.

The key is written twice: as `identifier` (RiskAssessment and CarePlan have one in R4;
Provenance has none) and as a `meta.tag`, and the condition (`ifNoneExist`) searches
`_tag`. `_tag` is searchable on every resource type on every server, whereas
`RiskAssessment?identifier` is missing from some servers' search tables and R4
Provenance has no identifier at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import cache

import orjson

from service.fhir_json import Json
from service.mappers.provenance import service_version
from service.terminology import CANONICAL_BASE, CRITERIA_CODE_SYSTEM, Terminology

KEY_SYSTEM = f"{CANONICAL_BASE}/NamingSystem/oms-assessment-key"
_WITH_IDENTIFIER = frozenset({"RiskAssessment", "CarePlan"})


def rule_set_version(terminology: Terminology) -> str:
    """Service version, profiles version and a digest of every rule the answer depends on."""
    return _rule_set_version(terminology)


@cache
def _rule_set_version(terminology: Terminology) -> str:
    rules = orjson.dumps(
        [
            terminology.code_systems,
            terminology.value_sets,
            terminology.plan_definitions,
            terminology.structure_definitions,
        ],
        option=orjson.OPT_SORT_KEYS,
        default=dict,
    )
    profiles = terminology.code_systems.get(CRITERIA_CODE_SYSTEM, {}).get("version", "?")
    digest = hashlib.sha256(rules).hexdigest()[:12]
    return f"{service_version()}+profiles.{profiles}.{digest}"


def evidence_fingerprint(resource: Json, reference: str) -> str:
    """`Type/id|versionId|lastUpdated`: what changes when the server's copy changes."""
    meta = resource.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    return f"{reference}|{meta.get('versionId') or ''}|{meta.get('lastUpdated') or ''}"


def assessment_key(patient: str, fingerprints: Iterable[str], rule_set: str) -> str:
    """A stable key for (patient, evidence set, rules); order of the evidence does not matter."""
    material = orjson.dumps([patient, sorted(set(fingerprints)), rule_set])
    return hashlib.sha256(material).hexdigest()


def transaction(entries: Sequence[tuple[str, Json]], key: str) -> Json:
    """A transaction POSTing each (fullUrl, resource) only if none carries the key yet.

    The fullUrls (urn:uuid) stay, so the server rewrites the references between the
    resources, to the existing ones when a condition matches. The resources given are
    not modified.
    """
    tag = {"system": KEY_SYSTEM, "code": key}
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": full_url,
                "resource": _keyed(resource, tag),
                "request": {
                    "method": "POST",
                    "url": resource["resourceType"],
                    "ifNoneExist": f"_tag={KEY_SYSTEM}|{key}",
                },
            }
            for full_url, resource in entries
        ],
    }


def _keyed(resource: Json, tag: Json) -> Json:
    keyed = dict(resource)
    meta = dict(keyed.get("meta") or {})
    meta["tag"] = [*(meta.get("tag") or []), tag]
    keyed["meta"] = meta
    if resource["resourceType"] in _WITH_IDENTIFIER:
        identifier = {"system": KEY_SYSTEM, "value": tag["code"]}
        keyed["identifier"] = [*(keyed.get("identifier") or []), identifier]
    return keyed
