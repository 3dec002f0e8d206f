"""`oms-cds assess`: result Bundle on stdout, readable summary, OperationOutcome on stderr."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import orjson
import pytest

from service.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_assess_prints_the_result_bundle(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["assess", str(EXAMPLES / "moderate.json")]) == 0
    bundle = orjson.loads(capsysbinary.readouterr().out)
    assert bundle["type"] == "collection"
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "RiskAssessment",
        "CarePlan",
        "Provenance",
    ]


def test_assess_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin((EXAMPLES / "low.json").read_bytes()))
    assert main(["assess", "-"]) == 0
    bundle = orjson.loads(capsysbinary.readouterr().out)
    risk = bundle["entry"][0]["resource"]["prediction"][0]["qualitativeRisk"]["coding"][0]
    assert risk["code"] == "low"


def test_summary_is_a_criteria_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", "--summary", str(EXAMPLES / "high.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["criterion", "status", "evidence"]
    assert lines[1].split() == ["Neuroblastoma", "met", "Condition/nb-1"]
    assert "risk: high (4 of 4 met, final)" in lines
    assert "care plan: Opsoclonus myoclonus syndrome: therapy checklist, 15 activities" in lines


def test_bad_input_exits_1_with_an_operation_outcome_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b'{"resourceType": "Patient", "name": "Mia"}'))
    assert main(["assess", "-"]) == 1
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    outcome = orjson.loads(captured.err)
    assert outcome["resourceType"] == "OperationOutcome"
    assert b"Mia" not in captured.err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", str(tmp_path / "absent.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
