"""The CDS clients this service trusts, read once from `OMS_CDS_CLIENTS_FILE`.

The file is a JSON list of objects:

    {"iss": "https://ehr.example.org",           # the JWT `iss`, compared exactly
     "jwks": {"keys": [...]}  or  "jwks_url": "https://ehr.example.org/jwks.json",
     "fhir_servers": ["https://ehr.example.org/fhir"]}   # URL prefixes

Only a configured `jwks_url` is ever fetched (a JWT's own `jku` header is never
followed), and only a `fhirServer` under one of the client's `fhir_servers` prefixes
ever receives a request, so neither field of a request can make the service connect
somewhere it was not told to.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import jwt
import orjson

from service.errors import CdsConfigError
from service.fhir_json import Json

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class TrustedClient:
    """One CDS client: who it is, where its keys are, which FHIR servers it may name."""

    iss: str
    fhir_servers: tuple[str, ...]
    jwks: Json | None = field(default=None, repr=False)
    jwks_url: str | None = None

    def allows_fhir_server(self, url: str) -> bool:
        """True when `url` lies under one of this client's `fhir_servers` prefixes."""
        return any(url_within(url, prefix) for prefix in self.fhir_servers)


def load_clients(path: Path) -> dict[str, TrustedClient]:
    """The trusted clients by `iss`; CdsConfigError for any fault, naming the file."""
    try:
        document = orjson.loads(path.read_bytes())
    except OSError:
        raise CdsConfigError(f"CDS clients file {path} cannot be read") from None
    except orjson.JSONDecodeError:
        raise CdsConfigError(f"CDS clients file {path} is not JSON") from None
    if not isinstance(document, list) or not document:
        raise CdsConfigError(f"CDS clients file {path} must be a non-empty JSON list")
    clients: dict[str, TrustedClient] = {}
    for n, item in enumerate(document):
        client = _client(item, f"{path} item {n}")
        if client.iss in clients:
            raise CdsConfigError(f"CDS clients file {path} names an iss twice (item {n})")
        clients[client.iss] = client
    return clients


def _client(item: object, where: str) -> TrustedClient:
    if not isinstance(item, dict):
        raise CdsConfigError(f"{where}: must be an object")
    iss = item.get("iss")
    if not isinstance(iss, str) or not iss:
        raise CdsConfigError(f"{where}: iss must be a non-empty string")
    jwks, jwks_url = item.get("jwks"), item.get("jwks_url")
    if (jwks is None) == (jwks_url is None):
        raise CdsConfigError(f"{where}: give exactly one of jwks and jwks_url")
    if jwks is not None and not (isinstance(jwks, dict) and isinstance(jwks.get("keys"), list)):
        raise CdsConfigError(f"{where}: jwks must be a JWK Set ({{'keys': [...]}})")
    for n, key in enumerate(jwks["keys"] if jwks is not None else []):
        if not _usable_public_key(key):
            raise CdsConfigError(f"{where}: jwks key {n} is not a public JWK with a kid")
    if jwks_url is not None and not (isinstance(jwks_url, str) and _secure_or_loopback(jwks_url)):
        raise CdsConfigError(f"{where}: jwks_url must be an https URL (http only for loopback)")
    servers = item.get("fhir_servers", [])
    if not isinstance(servers, list) or not all(
        isinstance(s, str) and parse_http_url(s) is not None for s in servers
    ):
        raise CdsConfigError(f"{where}: fhir_servers must be a list of http(s) URLs")
    return TrustedClient(iss=iss, fhir_servers=tuple(servers), jwks=jwks, jwks_url=jwks_url)


def _usable_public_key(key: object) -> bool:
    if not isinstance(key, dict) or not isinstance(key.get("kid"), str) or "d" in key:
        return False
    try:
        jwt.PyJWK(key)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return False
    return True


def parse_http_url(url: str) -> SplitResult | None:
    """The parts of an absolute http(s) URL without user info, or None for anything else."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    if any(c.isspace() for c in url):
        return None
    return parts


def url_within(url: str, prefix: str) -> bool:
    """Whether `url` is `prefix` or below it: same scheme, host and port, path by segment.

    `https://ehr.example.org/fhir` covers `.../fhir` and `.../fhir/Patient/1`, not
    `.../fhir-evil`, `https://ehr.example.org.evil.net/fhir` or `http://...`.
    """
    target, base = parse_http_url(url), parse_http_url(prefix)
    if target is None or base is None:
        return False
    if (target.scheme, _host(target), _port(target)) != (base.scheme, _host(base), _port(base)):
        return False
    target_path, base_path = normalised_path(target.path), normalised_path(base.path)
    if target_path is None or base_path is None:
        return False
    base_path = base_path.rstrip("/")
    return target_path.rstrip("/") == base_path or target_path.startswith(base_path + "/")


def normalised_path(path: str) -> str | None:
    """The path as a server resolves it: `%2e` decoded and dot segments removed (RFC
    3986, 5.2.4), so `/fhir/../admin` and `/fhir/%2e%2e/admin` are `/admin`. None for an
    encoded slash or backslash, or a backslash, which servers split in different ways."""
    lowered = path.lower()
    if "%2f" in lowered or "%5c" in lowered or "\\" in path:
        return None
    decoded = re.sub("%2[eE]", ".", path)
    segments: list[str] = []
    for segment in decoded.split("/"):
        if segment == "..":
            if len(segments) > 1:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    if decoded.endswith(("/.", "/..")):
        segments.append("")
    return "/".join(segments) or "/"


def _host(parts: SplitResult) -> str:
    return (parts.hostname or "").lower().rstrip(".")


def _port(parts: SplitResult) -> int:
    return parts.port or _DEFAULT_PORTS[parts.scheme]


def _secure_or_loopback(url: str) -> bool:
    parts = parse_http_url(url)
    if parts is None:
        return False
    if parts.scheme == "https":
        return True
    host = _host(parts)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def dev_client(fhir_servers: Sequence[str]) -> TrustedClient:
    """The stand-in client of insecure dev mode: no keys, only the configured servers."""
    return TrustedClient(iss="insecure-dev", fhir_servers=tuple(fhir_servers))


def by_iss(clients: Mapping[str, TrustedClient], iss: object) -> TrustedClient | None:
    return clients.get(iss) if isinstance(iss, str) else None
