"""The client-JWT checks, one case per way a token can be wrong (keys made here)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import warnings
from typing import Any

import httpx
import jwt
import pytest
import respx

from service.errors import Unauthorized
from service.security.clients import TrustedClient
from service.security.jwt import JwksCache, JwtPolicy, JwtVerifier, ReplayCache
from service.storage.base import replay_key
from tests.security.keys import AUD, FHIR, ISS, SigningKey, es384, jwks, rs384

ES = es384()
RS = rs384()
STRANGER = es384(kid=ES.kid)  # same kid, different key
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"


def verifier(**client: Any) -> JwtVerifier:
    trusted = TrustedClient(
        iss=client.pop("iss", ISS),
        fhir_servers=(FHIR,),
        jwks=client.pop("jwks", jwks(ES, RS)),
        jwks_url=client.pop("jwks_url", None),
    )
    return JwtVerifier({trusted.iss: trusted}, JwtPolicy(leeway=30, max_lifetime=3600))


def verify(v: JwtVerifier, authorization: str | None, audiences: list[str] | None = None) -> str:
    return asyncio.run(v.verify(authorization, audiences or [AUD])).iss


def bearer(token: str) -> str:
    return f"Bearer {token}"


def unsigned(alg: str = "none") -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": ISS, "aud": AUD, "iat": now, "exp": now + 300, "jti": "j-unsigned"}
    return f"{part({'alg': alg, 'typ': 'JWT', 'kid': ES.kid})}.{part(claims)}."


@pytest.mark.parametrize("key", [pytest.param(ES, id="ES384"), pytest.param(RS, id="RS384")])
def test_a_well_signed_token_names_its_client(key: SigningKey) -> None:
    assert verify(verifier(), bearer(key.token())) == ISS


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"aud": [AUD, "https://other.example/"]}, id="aud-as-array"),
        pytest.param({"sub": "client-id", "nbf": int(time.time()) - 300}, id="epic-sub-and-nbf"),
        pytest.param({"tenant": "2ddd6c3a"}, id="tenant-claim"),
    ],
)
def test_extra_or_array_claims_are_accepted(claims: dict[str, Any]) -> None:
    assert verify(verifier(), bearer(ES.token(**claims))) == ISS


def hs256() -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": AUD, "iat": now, "exp": now + 300, "jti": "j-hs"}
    return jwt.encode(
        claims, "a-shared-secret-of-32-bytes-long!", algorithm="HS256", headers={"kid": ES.kid}
    )


def es256() -> str:
    from cryptography.hazmat.primitives.asymmetric import ec

    now = int(time.time())
    claims = {"iss": ISS, "aud": AUD, "iat": now, "exp": now + 300, "jti": "j-es256"}
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": ES.kid})


def tampered() -> str:
    head, body, signature = ES.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["iss"] = ISS
    claims["jti"] = "changed"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


REJECTED = [
    pytest.param(None, id="no-authorization-header"),
    pytest.param("Basic dXNlcjpwYXNz", id="basic-auth"),
    pytest.param("Bearer ", id="empty-bearer"),
    pytest.param("Bearer not-a-jwt", id="garbage-token"),
    pytest.param(bearer(unsigned("none")), id="alg-none"),
    pytest.param(bearer(unsigned("None")), id="alg-None-capitalised"),
    pytest.param(bearer(hs256()), id="HS256"),
    pytest.param(bearer(es256()), id="ES256-not-pinned"),
    pytest.param(bearer(ES.token(iat_offset=-1000)), id="expired"),
    pytest.param(bearer(ES.token(iat_offset=600)), id="iat-in-the-future"),
    pytest.param(
        bearer(ES.token(aud="https://cds.example.org/cds-services/other")), id="wrong-aud"
    ),
    pytest.param(bearer(ES.token(aud="http://testserver/cds-services")), id="discovery-aud"),
    pytest.param(bearer(ES.token(iss="https://evil.example")), id="untrusted-iss"),
    pytest.param(bearer(ES.token(header={"kid": "unknown-kid"})), id="unknown-kid"),
    pytest.param(bearer(ES.token(header={"kid": None})), id="no-kid"),
    pytest.param(bearer(ES.token(header={"typ": "at+jwt"})), id="typ-not-JWT"),
    pytest.param(bearer(ES.token(drop=("jti",))), id="no-jti"),
    pytest.param(bearer(ES.token(drop=("exp",))), id="no-exp"),
    pytest.param(bearer(ES.token(drop=("iat",))), id="no-iat"),
    pytest.param(bearer(ES.token(drop=("aud",))), id="no-aud"),
    pytest.param(bearer(ES.token(lifetime=7200)), id="lifetime-too-long"),
    pytest.param(bearer(STRANGER.token()), id="signed-by-another-key-same-kid"),
    pytest.param(bearer(ES.token(header={"kid": RS.kid})), id="kid-of-an-RSA-key-for-ES384"),
    pytest.param(bearer(tampered()), id="tampered-claims"),
]


@pytest.mark.parametrize("authorization", REJECTED)
def test_every_faulty_token_is_refused(authorization: str | None) -> None:
    with pytest.raises(Unauthorized):
        verify(verifier(), authorization)


def test_a_jti_is_accepted_once() -> None:
    v = verifier()
    token = ES.token(jti="once-only")
    assert verify(v, bearer(token)) == ISS
    with pytest.raises(Unauthorized):
        verify(v, bearer(token))
    assert verify(v, bearer(ES.token(jti="another"))) == ISS


def test_the_in_memory_replay_cache_forgets_a_jti_after_its_token_expired() -> None:
    now = [1000.0]
    cache = ReplayCache(clock=lambda: now[0])

    def first(jti: str, until: float) -> bool:
        return asyncio.run(cache.first_use(replay_key(ISS, jti), until))

    assert first("j", until=1100.0)
    assert not first("j", until=1100.0)
    now[0] = 1200.0
    assert first("other", until=1300.0)
    assert len(cache) == 1
    assert first("j", until=1300.0)


def test_a_checked_token_is_spent_only_when_recorded_and_only_once() -> None:
    v = verifier()
    token = bearer(ES.token(jti="deferred"))
    first = asyncio.run(v.check(token, [AUD]))
    again = asyncio.run(v.check(token, [AUD]))  # not spent yet: a retry elsewhere passes
    asyncio.run(v.record(again))
    with pytest.raises(Unauthorized):
        asyncio.run(v.record(first))  # the concurrent twin loses
    with pytest.raises(Unauthorized):
        asyncio.run(v.check(token, [AUD]))  # spent: refused before any work


def test_a_refused_signature_does_not_burn_the_jti() -> None:
    v = verifier()
    with pytest.raises(Unauthorized):
        verify(v, bearer(STRANGER.token(jti="shared")))
    assert verify(v, bearer(ES.token(jti="shared"))) == ISS


@respx.mock
def test_keys_from_jwks_url_are_cached_and_refetched_for_a_new_kid_at_most_twice_a_minute() -> None:
    rotated = es384(kid="rotated")
    route = respx.get(JWKS_URL).mock(
        side_effect=[httpx.Response(200, json=jwks(ES)), httpx.Response(200, json=jwks(rotated))]
    )
    now = [0.0]
    trusted = TrustedClient(iss=ISS, fhir_servers=(FHIR,), jwks_url=JWKS_URL)
    v = JwtVerifier({ISS: trusted}, JwtPolicy(), jwks=JwksCache(clock=lambda: now[0]))
    assert verify(v, bearer(ES.token())) == ISS
    assert verify(v, bearer(ES.token())) == ISS
    assert route.call_count == 1
    now[0] = 10.0
    with pytest.raises(Unauthorized):
        verify(v, bearer(rotated.token()))
    assert route.call_count == 1
    now[0] = 31.0
    assert verify(v, bearer(rotated.token())) == ISS
    assert route.call_count == 2


@respx.mock
def test_the_token_jku_header_is_never_fetched() -> None:
    evil = respx.get("https://evil.example/jwks.json").mock(
        return_value=httpx.Response(200, json=jwks(STRANGER))
    )
    token = STRANGER.token(header={"jku": "https://evil.example/jwks.json"})
    with pytest.raises(Unauthorized):
        verify(verifier(), bearer(token))
    assert not evil.called


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(500), id="jwks-500"),
        pytest.param(httpx.Response(200, text="not json"), id="jwks-not-json"),
        pytest.param(httpx.Response(200, json={"no": "keys"}), id="jwks-without-keys"),
        pytest.param(httpx.ConnectTimeout("slow"), id="jwks-timeout"),
    ],
)
def test_an_unreachable_jwks_url_refuses_the_call(answer: Any) -> None:
    if isinstance(answer, Exception):
        respx.get(JWKS_URL).mock(side_effect=answer)
    else:
        respx.get(JWKS_URL).mock(return_value=answer)
    with pytest.raises(Unauthorized):
        verify(verifier(jwks=None, jwks_url=JWKS_URL), bearer(ES.token()))


def test_the_spec_example_token_is_refused() -> None:
    """CDS Hooks 2.0's example JWT is long expired and signed by a key we do not hold."""
    example_payload = {
        "iss": "https://fhir-ehr.example.com/",
        "aud": "https://cds.example.org/cds-services/some-service",
        "exp": 1422568860,
        "iat": 1311280970,
        "jti": "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e",
        "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2",
    }
    key = es384(kid="example-kid")
    token = jwt.encode(
        example_payload,
        key.private,
        algorithm="ES384",
        headers={"kid": "example-kid", "jku": "https://fhir-ehr.example.com/jwk_uri"},
    )
    v = verifier(iss="https://fhir-ehr.example.com/", jwks=jwks(key))
    with pytest.raises(Unauthorized):
        verify(v, bearer(token), ["https://cds.example.org/cds-services/some-service"])


def test_an_rsa_key_shorter_than_2048_bits_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    weak = SigningKey("RS384", "weak", rsa.generate_private_key(65537, key_size=1024))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT warns when signing with a short key
        token = weak.token()
    with pytest.raises(Unauthorized):
        verify(verifier(jwks=jwks(weak)), bearer(token))
