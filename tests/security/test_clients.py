"""Which FHIR URLs a client's prefixes cover, and what a clients file must hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.security.clients import CdsConfigError, load_clients, url_within
from tests.security.keys import es384, jwks

PREFIX = "https://ehr.example.org/fhir"


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        pytest.param("https://ehr.example.org/fhir", True, id="the-prefix-itself"),
        pytest.param("https://ehr.example.org/fhir/", True, id="trailing-slash"),
        pytest.param("https://ehr.example.org/fhir/Patient/1", True, id="below"),
        pytest.param("https://EHR.example.org:443/fhir/Patient?x=1", True, id="case-and-port"),
        pytest.param("https://ehr.example.org/fhir-evil/Patient", False, id="sibling-path"),
        pytest.param("https://ehr.example.org/other", False, id="other-path"),
        pytest.param("http://ehr.example.org/fhir", False, id="http-downgrade"),
        pytest.param("https://ehr.example.org:8443/fhir", False, id="other-port"),
        pytest.param("https://ehr.example.org.evil.net/fhir", False, id="suffix-host"),
        pytest.param("https://evil.net/ehr.example.org/fhir", False, id="host-in-path"),
        pytest.param("https://ehr.example.org@evil.net/fhir", False, id="userinfo-trick"),
        pytest.param("https://user@ehr.example.org/fhir", False, id="userinfo"),
        pytest.param("ftp://ehr.example.org/fhir", False, id="other-scheme"),
        pytest.param("/fhir/Patient", False, id="relative"),
        pytest.param("https://ehr.example.org:99999/fhir", False, id="bad-port"),
        pytest.param("https://ehr.example.org/fhir/../admin", False, id="dot-dot-escape"),
        pytest.param("https://ehr.example.org/fhir/%2e%2e/admin", False, id="encoded-dot-dot"),
        pytest.param("https://ehr.example.org/fhir/%2E%2E/admin", False, id="encoded-upper"),
        pytest.param("https://ehr.example.org/fhir/..%2fadmin", False, id="encoded-slash"),
        pytest.param("https://ehr.example.org/fhir/..\\admin", False, id="backslash"),
        pytest.param("https://ehr.example.org/fhir/./Patient/1", True, id="dot-segment-inside"),
        pytest.param(
            "https://ehr.example.org/fhir/a/../Patient/1", True, id="dot-dot-still-inside"
        ),
    ],
)
def test_url_within_prefix(url: str, inside: bool) -> None:
    assert url_within(url, PREFIX) is inside


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "clients.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_a_valid_file_gives_clients_by_iss(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {"iss": "https://a.example", "jwks": jwks(es384()), "fhir_servers": [PREFIX]},
            {
                "iss": "https://sandbox.cds-hooks.org",
                "jwks_url": "https://sandbox.cds-hooks.org/.well-known/jwks.json",
            },
        ],
    )
    clients = load_clients(path)
    assert set(clients) == {"https://a.example", "https://sandbox.cds-hooks.org"}
    assert clients["https://a.example"].allows_fhir_server(PREFIX + "/Patient/1")
    assert clients["https://sandbox.cds-hooks.org"].fhir_servers == ()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("not json", id="not-json"),
        pytest.param({"iss": "x"}, id="object-not-list"),
        pytest.param([], id="empty-list"),
        pytest.param([{"jwks": {"keys": []}}], id="no-iss"),
        pytest.param([{"iss": "x"}], id="no-keys"),
        pytest.param(
            [{"iss": "x", "jwks": {"keys": []}, "jwks_url": "https://x/j"}], id="both-key-sources"
        ),
        pytest.param([{"iss": "x", "jwks": {"k": 1}}], id="jwks-not-a-set"),
        pytest.param([{"iss": "x", "jwks": {"keys": [{"kty": "EC", "kid": "k"}]}}], id="bad-jwk"),
        pytest.param(
            [{"iss": "x", "jwks": {"keys": [{**es384().jwk(), "kid": None}]}}], id="jwk-without-kid"
        ),
        pytest.param(
            [{"iss": "x", "jwks": {"keys": [{**es384().jwk(), "d": "secret"}]}}], id="private-jwk"
        ),
        pytest.param([{"iss": "x", "jwks_url": "http://x.example/j"}], id="jwks-url-http"),
        pytest.param(
            [{"iss": "x", "jwks": {"keys": []}, "fhir_servers": "https://x"}], id="servers-not-list"
        ),
        pytest.param(
            [{"iss": "x", "jwks": {"keys": []}, "fhir_servers": ["x.example/fhir"]}],
            id="server-not-url",
        ),
        pytest.param(
            [{"iss": "x", "jwks": {"keys": []}}, {"iss": "x", "jwks": {"keys": []}}], id="iss-twice"
        ),
    ],
)
def test_a_broken_file_stops_the_service(tmp_path: Path, content: Any) -> None:
    with pytest.raises(CdsConfigError):
        load_clients(write(tmp_path, content))


def test_a_missing_file_stops_the_service(tmp_path: Path) -> None:
    with pytest.raises(CdsConfigError):
        load_clients(tmp_path / "absent.json")


def test_jwks_url_may_be_http_on_loopback(tmp_path: Path) -> None:
    path = write(tmp_path, [{"iss": "x", "jwks_url": "http://127.0.0.1:9/jwks.json"}])
    assert load_clients(path)["x"].jwks_url == "http://127.0.0.1:9/jwks.json"


def test_the_spec_example_jwks_is_a_usable_static_key_set(tmp_path: Path) -> None:
    from tests.cds.builders import fixture

    key_set = fixture("spec-2.0-jwks.json")
    path = write(tmp_path, [{"iss": "https://fhir-ehr.example.com/", "jwks": key_set}])
    assert load_clients(path)["https://fhir-ehr.example.com/"].jwks == key_set
