"""Prometheus metrics (prometheus-client), served at `/metrics` by `service.api.metrics`.

Labels are small closed sets only: route templates (never paths), status codes,
risk levels, fault kinds, rejection reasons, prefetch keys. No patient id, no URL,
no token claim ever becomes a label value, so the metrics hold no patient data and
their cardinality stays bounded whatever callers send.

The metrics live in prometheus-client's default registry, one per process: each
replica is scraped on its own, and Prometheus sums over replicas.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Histogram

from service.clients.fhir import FhirServerError
from service.errors import NotFound, OmsError, UpstreamError, UpstreamTimeout

REQUESTS: Final = Counter(
    "oms_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY: Final = Histogram(
    "oms_http_request_duration_seconds",
    "Time from request start to the last byte of the answer, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ASSESSMENTS: Final = Counter(
    "oms_assessments",
    "Assessments completed, by entry point and overall risk level.",
    ["source", "risk"],
)
UPSTREAM_ERRORS: Final = Counter(
    "oms_upstream_fhir_errors",
    "Failed reads or writes on a FHIR server, by entry point and kind.",
    ["source", "kind"],
)
JWT_REJECTIONS: Final = Counter(
    "oms_jwt_rejections",
    "CDS client JWTs refused (401), by reason.",
    ["reason"],
)
PREFETCH_FALLBACKS: Final = Counter(
    "oms_prefetch_fallbacks",
    "CDS prefetch keys read from the FHIR server instead, by key and why.",
    ["key", "reason"],
)
STORAGE_ERRORS: Final = Counter(
    "oms_storage_errors",
    "Database operations that failed (the call answered 503), by operation.",
    ["operation"],
)
REPLAY_CHECK: Final = Histogram(
    "oms_jwt_replay_check_duration_seconds",
    "Time of one insert-if-absent in the shared replay cache.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


def upstream_kind(exc: OmsError) -> str | None:
    """The kind of an upstream FHIR failure, or None if `exc` is not one."""
    if isinstance(exc, FhirServerError):
        return str(exc.fault)
    if isinstance(exc, UpstreamTimeout):
        return "timeout"
    if isinstance(exc, NotFound):
        return "not-found"
    if isinstance(exc, UpstreamError):
        return "unusable"
    return None


def count_upstream(source: str, exc: OmsError) -> None:
    kind = upstream_kind(exc)
    if kind is not None:
        UPSTREAM_ERRORS.labels(source, kind).inc()


ADMISSION_REFUSALS: Final = Counter(
    "oms_admission_refusals",
    "Requests answered 503 by admission control: `wait` (no room in time to start) or "
    "`body` (a chunked body outgrew the room left).",
    ["reason"],
)
