"""The offline FHIR validation gate (scripts/validate-fhir) catches what it must, and only that.

One JVM run validates every fixture here against base R4 plus a tiny test IG (tests/validator/ig:
SUSHI 3.21.0 output with the snapshots stripped; the validator regenerates them):

    CodeSystem DiagnosticCriteriaCS (#crit-a, #crit-b), ValueSet DiagnosticCriteriaVS (all of it)
    Profile demo-risk-assessment on RiskAssessment: status = #final, code 1..1 from the VS
        (required), occurrence[x] only dateTime 1..1, prediction 1..*,
        subject only Reference(Patient) - NOT enforced offline: a subject "Group/g1" passes,
        because the validator cannot resolve the reference to learn its type
    Profile demo-care-plan on CarePlan: category 1..1 from the VS (required)

valid/ must give no error (external codes - SNOMED CT, HPO, Orphanet - may only warn, since there
is no terminology server); each file in broken/ must give the errors listed in BROKEN.
Java is required: without it these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.validator

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SCRIPT = ROOT / "scripts" / "validate-fhir"
FILE_EXT = "http://hl7.org/fhir/StructureDefinition/operationoutcome-file"

# broken fixture -> (expression substring, message substring) of each error it must produce
BROKEN: dict[str, list[tuple[str, str]]] = {
    "riskassessment-bogus-status.json": [
        ("RiskAssessment.status", "The value provided ('bogus') was not found in the value set"),
    ],
    "riskassessment-missing-status.json": [
        ("RiskAssessment", "RiskAssessment.status: minimum required = 1, but only found 0"),
    ],
    "riskassessment-bad-datetime.json": [
        ("RiskAssessment.occurrence", "Not a valid date/time format: '2024-13-45'"),
    ],
    "riskassessment-probability-over-100.json": [
        ("RiskAssessment.prediction[0]", "ras-2"),
    ],
    "riskassessment-unknown-element.json": [
        ("RiskAssessment", "Unrecognized property 'foo'"),
    ],
    "riskassessment-profile-code-not-in-valueset.json": [
        ("RiskAssessment.code.coding[0].code", "Unknown code 'crit-z'"),
        ("RiskAssessment.code", "None of the codings provided are in the value set"),
    ],
    "riskassessment-profile-missing-code.json": [
        ("RiskAssessment", "RiskAssessment.code: minimum required = 1, but only found 0"),
    ],
    "riskassessment-profile-wrong-status.json": [
        ("RiskAssessment.status", "Value is 'preliminary' but is fixed to 'final'"),
    ],
    "riskassessment-profile-occurrence-period.json": [
        ("RiskAssessment.occurrence", "allows for the type dateTime but found type Period"),
    ],
    "careplan-missing-intent.json": [
        ("CarePlan", "CarePlan.intent: minimum required = 1, but only found 0"),
    ],
    "careplan-profile-missing-category.json": [
        ("CarePlan", "CarePlan.category: minimum required = 1, but only found 0"),
    ],
    "bundle-entry-bogus-status.json": [
        ("Bundle.entry[1].resource", "The value provided ('bogus') was not found in the value set"),
    ],
}
VALID = sorted(p.name for p in (HERE / "valid").glob("*.json"))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Issues per fixture (keyed 'valid/x.json' / 'broken/x.json') from one validator run."""
    out = tmp_path_factory.mktemp("validator") / "outcome.json"
    run = subprocess.run(
        [
            str(SCRIPT),
            "--ig",
            str(HERE / "ig"),
            "--output",
            str(out),
            str(HERE / "valid"),
            str(HERE / "broken"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 1, f"rc={run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "validate-fhir: " in run.stdout.splitlines()[-1]
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle"
    issues: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        oo = entry["resource"]
        name = next(x["valueString"] for x in oo["extension"] if x["url"] == FILE_EXT)
        issues[str(Path(name).relative_to(HERE))] = oo.get("issue", [])
    return issues


def errors(issues: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        ((i.get("expression") or i.get("location") or [""])[0], i["details"]["text"])
        for i in issues
        if i["severity"] in ("error", "fatal")
    ]


def test_every_fixture_was_validated(results: dict[str, list[dict[str, Any]]]) -> None:
    broken = {p.name for p in (HERE / "broken").glob("*.json")}
    assert broken == set(BROKEN), "every broken fixture needs its expected errors in BROKEN"
    assert set(results) == {f"valid/{n}" for n in VALID} | {f"broken/{n}" for n in broken}


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_has_no_error(results: dict[str, list[dict[str, Any]]], name: str) -> None:
    assert errors(results[f"valid/{name}"]) == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_fixture_reports_its_errors(
    results: dict[str, list[dict[str, Any]]], name: str
) -> None:
    found = errors(results[f"broken/{name}"])
    for where, what in BROKEN[name]:
        assert any(where in path and what in text for path, text in found), (where, what, found)


def test_external_code_systems_only_warn(results: dict[str, list[dict[str, Any]]]) -> None:
    """SNOMED CT / HPO / Orphanet codes cannot be checked offline: at most a warning."""
    external = ("snomed.info", "human-phenotype-ontology.org", "orpha.net")
    mentioned = [
        i
        for name, issues in results.items()
        for i in issues
        if any(s in i["details"]["text"] for s in external)
    ]
    assert all(i["severity"] in ("warning", "information") for i in mentioned), mentioned
