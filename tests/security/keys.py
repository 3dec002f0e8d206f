"""Signing keys made in the tests, their JWK Sets, and JWTs signed with them."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISS = "https://ehr.example.org"
FHIR = "https://ehr.example.org/fhir"
AUD = "http://testserver/cds-services/oms-screening"


@dataclass(frozen=True)
class SigningKey:
    alg: str
    kid: str
    private: Any

    def jwk(self) -> dict[str, Any]:
        algorithm = ECAlgorithm if self.alg == "ES384" else RSAAlgorithm
        public = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def token(
        self,
        *,
        aud: str | list[str] = AUD,
        iss: str = ISS,
        lifetime: int = 300,
        iat_offset: int = 0,
        jti: str | None = None,
        header: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        now = int(time.time()) + iat_offset
        payload: dict[str, Any] = {
            "iss": iss,
            "aud": aud,
            "iat": now,
            "exp": now + lifetime,
            "jti": jti or str(uuid.uuid4()),
            **claims,
        }
        for name in drop:
            payload.pop(name, None)
        headers = {"kid": self.kid, "typ": "JWT", **(header or {})}
        headers = {k: v for k, v in headers.items() if v is not None}
        return jwt.encode(payload, self.private, algorithm=self.alg, headers=headers)


def es384(kid: str = "es384-key") -> SigningKey:
    return SigningKey("ES384", kid, ec.generate_private_key(ec.SECP384R1()))


def rs384(kid: str = "rs384-key") -> SigningKey:
    return SigningKey("RS384", kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


def clients_file(path: Any, *entries: dict[str, Any]) -> Any:
    path.write_text(json.dumps(list(entries)))
    return path
