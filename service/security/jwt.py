"""Verify the JWT a CDS client sends (CDS Hooks 2.0 "Trusting CDS Clients").

Checks, in order, and any failure is one `Unauthorized` with no reason attached (the
reason is logged as a category, never the token or its claims):

1. header: `alg` ES384 or RS384 only (never `none`, never HMAC), `typ` JWT, a `kid`;
2. `iss` names a trusted client; its key with that `kid` comes from the client's
   configured JWKS (never from the token's `jku`), of the type the `alg` needs;
3. signature, then `aud` (this endpoint's URL), `exp`, `iat` (not in the future),
   `jti` present, lifetime at most the configured maximum;
4. `jti` not seen before from this `iss` while the token is alive (replay cache).

`verify()` spends the token at once (one insert-if-absent). `check()` only reads the
replay cache, and `record()` spends the token later, when the call is answered: for
calls that change nothing here (hook calls), so one whose replica died before answering
can be sent again to another replica; of two concurrent uses, `record()` admits one.

The replay cache is the service's storage (`OMS_DATABASE_URL`), shared by every
replica on PostgreSQL. When it cannot be asked, the call fails with a 503
(`StorageUnavailable`): a token whose replay could not be checked is never accepted.
"""

from __future__ import annotations

import base64
import heapq
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

import httpx
import jwt

from service.errors import Unauthorized
from service.fhir_json import Json
from service.metrics import JWT_REJECTIONS, REPLAY_CHECK
from service.security.clients import TrustedClient, by_iss
from service.storage.base import replay_key

log = logging.getLogger("oms_cds.security")

ALGORITHMS = ("ES384", "RS384")
_KTY = {"ES384": "EC", "RS384": "RSA"}
_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
_JWKS_TTL = 300.0
_JWKS_MIN_REFRESH = 30.0
_JWKS_MAX_BYTES = 256 * 1024
_MIN_RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class JwtPolicy:
    leeway: int = 60
    max_lifetime: int = 3600


class ReplayStore(Protocol):
    """Where `(iss, jti)` pairs are recorded: `service.storage.Storage` in the service."""

    async def first_use(self, key: bytes, until: float) -> bool: ...

    async def used(self, key: bytes) -> bool: ...


@dataclass(frozen=True, slots=True)
class Checked:
    """A token that passed every check; `record()` spends it."""

    client: TrustedClient
    replay_key: bytes
    until: float


class ReplayCache:
    """An in-memory ReplayStore for one process: the default of a bare `JwtVerifier`
    (unit tests, embedding). The service passes its shared storage instead."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._seen: dict[bytes, float] = {}
        self._expiry: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()

    async def first_use(self, key: bytes, until: float) -> bool:
        """Record the key; False if it was already recorded and is still alive."""
        with self._lock:
            now = self._clock()
            while self._expiry and self._expiry[0][0] < now:
                _, old = heapq.heappop(self._expiry)
                if self._seen.get(old, now) < now:
                    del self._seen[old]
            if key in self._seen and self._seen[key] >= now:
                return False
            self._seen[key] = until
            heapq.heappush(self._expiry, (until, key))
            return True

    async def used(self, key: bytes) -> bool:
        with self._lock:
            return self._seen.get(key, 0.0) >= self._clock()

    def __len__(self) -> int:
        return len(self._seen)


class JwksCache:
    """Each client's JWK Set: the static one, or its `jwks_url` fetched and cached."""

    def __init__(
        self,
        timeout: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout = timeout
        self._clock = clock
        self._transport = transport
        self._fetched: dict[str, tuple[float, Json]] = {}

    async def key_set(self, client: TrustedClient, *, refresh: bool = False) -> Json:
        if client.jwks is not None:
            return client.jwks
        url = client.jwks_url
        assert url is not None
        cached = self._fetched.get(url)
        now = self._clock()
        if cached is not None:
            age = now - cached[0]
            if age < _JWKS_TTL and not (refresh and age >= _JWKS_MIN_REFRESH):
                return cached[1]
        key_set = await self._fetch(url)
        self._fetched[url] = (now, key_set)
        return key_set

    async def _fetch(self, url: str) -> Json:
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
                transport=self._transport,
            ) as http:
                response = await http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError:
            log.warning("jwks fetch failed", extra={"reason": "transport"})
            _reject("jwks unreachable", from_exc=True)
        if response.status_code != 200 or len(response.content) > _JWKS_MAX_BYTES:
            log.warning("jwks fetch failed", extra={"reason": "status"})
            _reject("jwks status")
        try:
            key_set = response.json()
        except ValueError:
            _reject("jwks invalid", from_exc=True)
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
            _reject("jwks invalid")
        return key_set


class JwtVerifier:
    """Authenticates CDS clients; one per app (it holds the replay and JWKS caches)."""

    def __init__(
        self,
        clients: Mapping[str, TrustedClient],
        policy: JwtPolicy,
        *,
        jwks: JwksCache | None = None,
        replay: ReplayStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clients = clients
        self._policy = policy
        self._jwks = jwks or JwksCache()
        self._replay: ReplayStore = replay or ReplayCache(clock)
        self._clock = clock

    async def verify(self, authorization: str | None, audiences: Sequence[str]) -> TrustedClient:
        """The client that signed the bearer token, if the token passes every check; the
        token is spent now (one insert-if-absent)."""
        checked = await self._checked(authorization, audiences)
        await self.record(checked)
        return checked.client

    async def check(self, authorization: str | None, audiences: Sequence[str]) -> Checked:
        """Every check, the replay cache only read: `record()` must follow before answering.

        For a call with no side effect in this service: the token is spent when the call
        is answered, so a call whose replica died before that may be sent again elsewhere.
        """
        checked = await self._checked(authorization, audiences)
        if await self._replay.used(checked.replay_key):
            _reject("replay")
        return checked

    async def _checked(self, authorization: str | None, audiences: Sequence[str]) -> Checked:
        token = _bearer(authorization)
        try:
            return await self._verify(token, audiences)
        except Unauthorized:
            raise
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            # PyJWT's exception classes are a closed set: ExpiredSignatureError, ...
            reason = type(exc).__name__ if isinstance(exc, jwt.PyJWTError) else "malformed"
            _reject(reason, from_exc=True)

    async def record(self, checked: Checked) -> None:
        """Spend the token: insert-if-absent in the replay cache; Unauthorized if it was spent."""
        started = time.perf_counter()
        first = await self._replay.first_use(checked.replay_key, checked.until)
        REPLAY_CHECK.observe(time.perf_counter() - started)
        if not first:
            _reject("replay")

    async def _verify(self, token: str, audiences: Sequence[str]) -> Checked:
        header = jwt.get_unverified_header(token)
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        if alg not in ALGORITHMS or not isinstance(kid, str) or not kid:
            _reject("header")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            _reject("typ")
        unverified = jwt.decode(token, options={"verify_signature": False})
        client = by_iss(self._clients, unverified.get("iss"))
        if client is None:
            _reject("iss")
        key = await self._key(client, str(alg), kid)
        now = self._clock()
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[str(alg)],
            audience=list(audiences),
            issuer=client.iss,
            leeway=self._policy.leeway,
            options={
                "require": _REQUIRED_CLAIMS,
                "strict_aud": False,
                "enforce_minimum_key_length": True,
            },
        )
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not isinstance(jti, str) or not jti:
            _reject("jti")
        if not _number(exp) or not _number(iat) or iat > now + self._policy.leeway:
            _reject("iat")
        if exp - iat > self._policy.max_lifetime or exp > now + self._policy.max_lifetime:
            _reject("lifetime")
        return Checked(client, replay_key(client.iss, jti), float(exp) + self._policy.leeway)

    async def _key(self, client: TrustedClient, alg: str, kid: str) -> Any:
        jwk = _find(await self._jwks.key_set(client), kid)
        if jwk is None and client.jwks_url is not None:
            jwk = _find(await self._jwks.key_set(client, refresh=True), kid)
        if jwk is None:
            _reject("kid")
        if jwk.get("kty") != _KTY[alg] or jwk.get("alg", alg) != alg:
            _reject("key type")
        if alg == "ES384" and jwk.get("crv") != "P-384":
            _reject("curve")
        if alg == "RS384" and _rsa_bits(jwk) < _MIN_RSA_BITS:
            _reject("rsa size")
        return jwt.PyJWK(jwk, algorithm=alg).key


def _bearer(authorization: str | None) -> str:
    if authorization is None:
        _reject("no token")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        _reject("not bearer")
    return token


def _find(key_set: Json, kid: str) -> Json | None:
    for jwk in key_set.get("keys", []):
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            return jwk
    return None


def _rsa_bits(jwk: Json) -> int:
    modulus = jwk.get("n")
    if not isinstance(modulus, str):
        return 0
    raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    return int.from_bytes(raw, "big").bit_length()


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reject(reason: str, *, from_exc: bool = False) -> NoReturn:
    log.info("jwt rejected", extra={"reason": reason})
    JWT_REJECTIONS.labels(reason).inc()
    if from_exc:
        raise Unauthorized from None
    raise Unauthorized
