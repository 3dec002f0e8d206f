"""`python -m bench --small` keeps working: every benchmark runs and reports its figures.

Nothing here is timed or compared with a threshold; the figures are only checked for
shape (and the assessments for the right answer), so the test fails when a benchmark
breaks, never because a machine is slow.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--small", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    result: dict[str, Any] = orjson.loads(out.read_bytes())
    return result


def test_latency_reports_a_ratio_per_size_and_a_high_risk_answer(figures: dict[str, Any]) -> None:
    latency = figures["latency"]
    assert set(latency) == {"200", "1000"}
    for size in latency.values():
        assert size["ratio"] > 0
        assert size["risk"] == "high"


def test_validation_reports_a_speedup(figures: dict[str, Any]) -> None:
    assert figures["validation"]["200"]["speedup"] > 0


def test_memory_reports_peak_rss_as_a_multiple_of_the_input(figures: dict[str, Any]) -> None:
    assert {"generated", "generated-parse-only", "real-synthea"} <= set(figures["memory"])
    for memory in figures["memory"].values():
        assert memory["peak"] >= memory["idle_peak"] > 0
        assert memory["peak_ratio"] > 0


def test_healthz_was_probed_while_the_large_bundle_was_assessed(figures: dict[str, Any]) -> None:
    assert figures["healthz"]["probes"] >= 1
    assert figures["healthz"]["failed"] == 0


def test_throughput_covers_both_worker_settings_without_errors(figures: dict[str, Any]) -> None:
    throughput = figures["throughput"]
    assert set(throughput) == {
        "workers=1 typical",
        "workers=1 oms-hits",
        "workers=2 typical",
        "workers=2 oms-hits",
    }
    for case in throughput.values():
        assert case["assess"]["count"] > 0
        assert case["bare"]["count"] > 0
        assert case["assess"]["errors"] == case["bare"]["errors"] == 0


def test_replicas_reports_throughput_ratios_and_both_replay_checks(
    figures: dict[str, Any],
) -> None:
    replicas = figures["replicas"]
    assert set(replicas["throughput"]) == {"1 process", "1 process + nginx", "2 replicas + nginx"}
    for case in replicas["throughput"].values():
        assert case["count"] > 0
        assert case["errors"] == 0
        assert case["ratio"] > 0
    assert replicas["replay_check"]["sqlite"]["p50"] > 0
    assert replicas["replay_check"]["postgresql"]["p50"] > 0


def test_patient_view_reports_p50_p95_ratios_and_memory_growth(figures: dict[str, Any]) -> None:
    patient_view = figures["patient_view"]
    assert set(patient_view) == {"1000"}
    case = patient_view["1000"]
    assert case["calls"] >= 1
    assert case["hook_p95_s"] >= case["hook_p50_s"] > 0
    assert case["assess_p95_s"] >= case["assess_p50_s"] > 0
    assert case["ratio_p50"] > 0
    assert case["ratio_p95"] > 0
    for route in ("patient-view", "$oms-assess"):
        memory = case["memory"][route]
        assert memory["peak"] >= memory["idle_peak"] > 0


def test_healthz_was_probed_during_the_patient_view_and_its_baseline(
    figures: dict[str, Any],
) -> None:
    for route in ("patient-view", "$oms-assess"):
        case = figures["healthz_hook"][route]
        assert case["probes"] >= 1
        assert case["failed"] == 0
        assert case["max_s"] >= case["median_s"] > 0


def test_burst_reports_peaks_against_the_manifest_limit_and_every_answer(
    figures: dict[str, Any],
) -> None:
    burst = figures["burst"]
    assert burst["manifest_limit"] == 512 * 1024 * 1024
    for case in ("one body", "admitted", "wide open"):
        found = burst[case]
        assert found["peak"] >= found["idle_peak"] > 0
        assert found["ratio"] > 0
        assert set(found["statuses"]) <= {200, 503}
    assert len(burst["admitted"]["statuses"]) == burst["count"]
    assert burst["wide open"]["statuses"] == [200] * burst["count"]
    if 503 in burst["admitted"]["statuses"]:
        assert burst["admitted"]["retry_after"] == ["2"]


def test_the_typical_call_reports_p50_p95_against_the_bare_route(figures: dict[str, Any]) -> None:
    small = figures["small_call"]
    assert small["calls"] > 0
    assert small["hook_p95_s"] >= small["hook_p50_s"] > 0
    assert small["bare_p95_s"] >= small["bare_p50_s"] > 0
    assert small["ratio_p50"] == small["hook_p50_s"] / small["bare_p50_s"]


def test_healthz_was_probed_during_a_read_from_the_fhir_server(figures: dict[str, Any]) -> None:
    read = figures["fhir_read"]
    assert read["probes"] > 0
    assert read["failed"] == 0
    assert read["max_s"] >= read["median_s"] > 0
    assert read["request_s"] > 0
