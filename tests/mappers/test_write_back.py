"""The write-back transaction: a key that changes exactly when the answer could."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from service.mappers.write_back import (
    KEY_SYSTEM,
    assessment_key,
    evidence_fingerprint,
    rule_set_version,
    transaction,
)
from service.terminology import Terminology

Json = dict[str, Any]
EVIDENCE = ["Condition/nb-1|1|2026-11-01T10:00:00Z", "Observation/eyes-1|3|"]
KEY = assessment_key("Patient/p1", EVIDENCE, "0.1.0+profiles.0.1.0.abc")


def test_fingerprint_reads_version_and_last_updated() -> None:
    resource = {"resourceType": "Observation", "meta": {"versionId": "3", "lastUpdated": "T"}}

    assert evidence_fingerprint(resource, "Observation/o1") == "Observation/o1|3|T"
    assert evidence_fingerprint({"resourceType": "Condition"}, "Condition/c") == "Condition/c||"


def test_the_key_ignores_evidence_order_and_repeats() -> None:
    shuffled = [EVIDENCE[1], EVIDENCE[0], EVIDENCE[1]]

    assert assessment_key("Patient/p1", shuffled, "0.1.0+profiles.0.1.0.abc") == KEY


@pytest.mark.parametrize(
    ("patient", "evidence", "rules"),
    [
        pytest.param("Patient/p2", EVIDENCE, "0.1.0+profiles.0.1.0.abc", id="another-patient"),
        pytest.param(
            "Patient/p1",
            [*EVIDENCE, "Observation/sleep-1|1|"],
            "0.1.0+profiles.0.1.0.abc",
            id="new-observation",
        ),
        pytest.param(
            "Patient/p1",
            ["Condition/nb-1|2|2026-11-02T10:00:00Z", EVIDENCE[1]],
            "0.1.0+profiles.0.1.0.abc",
            id="condition-updated",
        ),
        pytest.param("Patient/p1", EVIDENCE[:1], "0.1.0+profiles.0.1.0.abc", id="evidence-gone"),
        pytest.param("Patient/p1", EVIDENCE, "0.2.0+profiles.0.1.0.abc", id="new-rules"),
    ],
)
def test_the_key_changes_when_the_answer_could(
    patient: str, evidence: list[str], rules: str
) -> None:
    assert assessment_key(patient, evidence, rules) != KEY


def test_rule_set_version_names_service_and_profiles_and_is_stable(
    terminology: Terminology,
) -> None:
    version = rule_set_version(terminology)

    assert version == rule_set_version(terminology)
    assert "+profiles." in version


def test_transaction_is_conditional_on_the_key_and_leaves_the_input_alone() -> None:
    ra: Json = {"resourceType": "RiskAssessment", "meta": {"profile": ["p"]}, "status": "final"}
    prov: Json = {"resourceType": "Provenance", "target": [{"reference": "urn:uuid:1"}]}
    before = copy.deepcopy([ra, prov])

    bundle = transaction([("urn:uuid:1", ra), ("urn:uuid:2", prov)], KEY)

    assert [ra, prov] == before
    assert bundle["type"] == "transaction"
    first, second = bundle["entry"]
    assert first["fullUrl"] == "urn:uuid:1"
    assert first["request"] == {
        "method": "POST",
        "url": "RiskAssessment",
        "ifNoneExist": f"_tag={KEY_SYSTEM}|{KEY}",
    }
    assert first["resource"]["meta"] == {
        "profile": ["p"],
        "tag": [{"system": KEY_SYSTEM, "code": KEY}],
    }
    assert first["resource"]["identifier"] == [{"system": KEY_SYSTEM, "value": KEY}]
    assert "identifier" not in second["resource"]
    assert second["resource"]["meta"] == {"tag": [{"system": KEY_SYSTEM, "code": KEY}]}
    assert second["request"]["url"] == "Provenance"
