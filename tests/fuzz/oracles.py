"""What every fuzzed answer must satisfy, written once for all fuzz tests."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import HealthCheck, settings

from service.terminology import Terminology

#: 5xx a route may give, and why: 501 no FHIR server configured, 502 upstream failed,
#: 503 feedback store unavailable, 504 upstream too slow. Never 500.
DOCUMENTED_5XX = frozenset({501, 502, 503, 504})
CRITERION_RESULT = "http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result"


def problem(status: int, content_type: str, body: bytes, *, cds: bool = False) -> str | None:
    """Why this answer breaks the error contract, or None if it keeps it.

    FHIR routes: any non-2xx is an OperationOutcome. CDS routes: the same, except a 401,
    which has an empty body (docs/CDS_HOOKS.md).
    """
    if status >= 500 and status not in DOCUMENTED_5XX:
        return f"status {status}"
    if status < 300:
        return None
    if cds and status == 401:
        return None if body == b"" else "a CDS 401 with a body"
    if "json" not in content_type:
        return f"status {status} with content type {content_type!r}"
    return outcome_problem(body)


def outcome_problem(body: bytes) -> str | None:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "an error body that is not JSON"
    if not isinstance(document, dict) or document.get("resourceType") != "OperationOutcome":
        return "an error body that is not an OperationOutcome"
    issues = document.get("issue")
    if not isinstance(issues, list) or not issues:
        return "an OperationOutcome without issues"
    for issue in issues:
        if not isinstance(issue, dict):
            return "an issue that is not an object"
        if issue.get("severity") not in {"fatal", "error", "warning", "information"}:
            return "an issue without a valid severity"
        if not isinstance(issue.get("code"), str) or not issue["code"]:
            return "an issue without a code"
        if "internal error" in str(issue.get("diagnostics", "")).lower():
            return "the last-resort handler fired"
    return None


def risk_assessment_problem(bundle: dict[str, Any], terminology: Terminology) -> str | None:
    """Four criterion results, and a risk level that agrees with their statuses."""
    found = [
        entry["resource"]
        for entry in bundle.get("entry", [])
        if entry.get("resource", {}).get("resourceType") == "RiskAssessment"
    ]
    if len(found) != 1:
        return f"{len(found)} RiskAssessments"
    risk = found[0]
    results = [ext for ext in risk.get("extension", []) if ext.get("url") == CRITERION_RESULT]
    if len(results) != len(terminology.criteria) or len(results) != 4:
        return f"{len(results)} criterion results"
    statuses: Counter[str] = Counter()
    criteria = []
    met_criteria = set()
    for result in results:
        parts = {part["url"]: part for part in result["extension"]}
        criteria.append(parts["criterion"]["valueCoding"]["code"])
        statuses[parts["status"]["valueCode"]] += 1
        if parts["status"]["valueCode"] == "met":
            met_criteria.add(criteria[-1])
    if sorted(criteria) != sorted(terminology.criteria):
        return "criterion results do not name each criterion once"
    met, unknown = statuses["met"], statuses["unknown"]
    level = risk_level(bundle)
    if level == "certain":
        rationale = risk["prediction"][0]["rationale"]
        diagnosed = rationale.startswith("Opsoclonus myoclonus syndrome is already diagnosed")
        return None if diagnosed else "risk certain without a recorded diagnosis"
    signs, alone = terminology.neurological_signs, terminology.warrants_work_up_alone
    suspected = risk["prediction"][0]["rationale"].startswith(
        "Opsoclonus myoclonus syndrome is suspected"
    )
    if met >= 3:
        expected = "high"
    elif (met == 2 and met_criteria & signs) or met_criteria & alone or suspected:
        expected = "moderate"  # contract v3: opsoclonus met, or a suspected OMS
    else:
        expected = "low"
    if level != expected:
        return f"risk {level} with {met} met and {unknown} unknown"
    return None


def risk_level(bundle: dict[str, Any]) -> str:
    """The qualitativeRisk code of the answer's RiskAssessment."""
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "RiskAssessment":
            code: str = entry["resource"]["prediction"][0]["qualitativeRisk"]["coding"][0]["code"]
            return code
    raise AssertionError("no RiskAssessment")


#: The differential tests' runs: the same 300 generated bodies every time (reproducible in CI).
DIFFERENTIAL = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def agrees_with_in_range_twin(
    payload: bytes,
    expected_of: Callable[[bytes], Any],
    actual_of: Callable[[bytes], Any],
    number_refused: Callable[[Any], bool],
) -> None:
    """The one reading (`actual_of`) answers as the other (`expected_of`), with the fuzzers'
    numbers too large for a double made ones the other reads (`1e999` -> `0`): where nothing
    reads them, that answer; where something does, the refusal `number_refused` knows.

    `actual_of` runs at Python's default recursion limit, as the service does: Hypothesis
    raises it past 1024, which would send every body down the orjson path."""
    in_range = payload.replace(b"1e999", b"0")
    expected = expected_of(in_range)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        actual = actual_of(payload)
    finally:
        sys.setrecursionlimit(limit)
    if in_range == payload:
        assert actual == expected
    else:
        assert actual == expected or number_refused(actual), (actual, expected)
