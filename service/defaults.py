"""Every default number in one place: `Settings` takes its defaults from here, and so do
the few building blocks (ingest, the FHIR client, the CDS fetch limits) that can be used
without settings (tests, the CLI, embedding)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: The built profiles shipped with the package (in a checkout, `service/profiles` links to
#: `profiles/fsh-generated/resources`).
PROFILES_DIR: Final = Path(__file__).resolve().parent / "profiles"

#: Largest request body, bytes; most Bundle entries in one request.
MAX_BODY_BYTES: Final = 32 * 1024 * 1024
MAX_ENTRIES: Final = 250_000

#: Admission control (`service.admission`): requests worked on at once, request-body
#: bytes held at once, seconds a request may wait for room before a 503. Sized for the
#: 512 MiB replica of deploy/kubernetes/oms-cds.yaml (bench/RESULTS.md [10]).
MAX_CONCURRENT_REQUESTS: Final = 16
MAX_BYTES_IN_FLIGHT: Final = 64 * 1024 * 1024
ADMISSION_WAIT_SECONDS: Final = 2.0

#: Request bodies up to this size are worked on the event loop, larger ones in a worker
#: thread (`service.usecases.cpu`: ~6 ms of work, about one GIL switch interval).
INLINE_WORK_MAX_BYTES: Final = 512 * 1024

#: The cyclic GC's thresholds, set once at start-up (`service.heap`; CPython's are 700,
#: 10, 10): fewer young collections while ingest allocates (bench/RESULTS.md).
GC_THRESHOLD: Final = (10_000, 10, 10)

#: The configured FHIR server: timeouts (s), retries, and caps on one search.
FHIR_CONNECT_TIMEOUT: Final = 3.0
FHIR_READ_TIMEOUT: Final = 10.0
FHIR_DEADLINE: Final = 20.0
FHIR_MAX_RETRIES: Final = 2
FHIR_RETRY_AFTER_CAP: Final = 5.0
FHIR_MAX_PAGES: Final = 20
FHIR_MAX_ENTRIES: Final = 5_000
FHIR_MAX_BYTES: Final = 32 * 1024 * 1024

#: The CDS Hooks FHIR-server fallback: per-request timeout (s) and pages per search.
CDS_FHIR_TIMEOUT: Final = 3.0
CDS_FHIR_MAX_PAGES: Final = 10
