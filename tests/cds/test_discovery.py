"""The prefetch templates: valid CDS Hooks 2.0 tokens and queries, narrowed to our codes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from service.cds.discovery import discovery_document, prefetch_keys
from service.terminology import Terminology
from tests.cds.conformance import discovery_problems


def test_templates_use_only_allowed_tokens_and_parameters(terminology: Terminology) -> None:
    assert discovery_problems(discovery_document(terminology)) == []
    for key in prefetch_keys(terminology):
        if key.read:
            assert key.template == "Patient/{{context.patientId}}"
            continue
        query = parse_qs(urlsplit(key.template).query)
        assert query["patient"] == ["{{context.patientId}}"]
        if key.record:  # the whole treatment record, a medication record's Medication too
            assert set(query) <= {"patient", "_include"}
            continue
        assert set(query) <= {"patient", "code", "value-concept"}


def test_the_searches_cover_every_criterion_code(terminology: Terminology) -> None:
    wanted = set(terminology.search_codes)
    for key in prefetch_keys(terminology):
        if not key.read and not key.record:
            [codes] = [
                v for k, v in parse_qs(urlsplit(key.template).query).items() if k != "patient"
            ]
            assert set(codes[0].split(",")) == wanted


def test_the_searches_ask_for_every_spelling_and_the_diagnosis(terminology: Terminology) -> None:
    codes = set(terminology.search_codes)
    assert {"C74.10", "C7410", "G25.3", "G253", "635", "ORPHA:635", "1183", "230350000"} <= codes
    listed = {c for pairs in terminology.criterion_codes.values() for _, c in pairs}
    assert listed <= codes
