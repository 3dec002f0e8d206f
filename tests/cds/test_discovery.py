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
        assert set(query) <= {"patient", "code", "value-concept"}


def test_the_searches_cover_every_criterion_code(terminology: Terminology) -> None:
    wanted = {code for pairs in terminology.criterion_codes.values() for _, code in pairs}
    for key in prefetch_keys(terminology):
        if not key.read:
            [codes] = [
                v for k, v in parse_qs(urlsplit(key.template).query).items() if k != "patient"
            ]
            assert set(codes[0].split(",")) == wanted
