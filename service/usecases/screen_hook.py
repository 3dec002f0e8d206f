"""Screen a CDS Hooks `patient-view` call: read the request, gather the data, answer cards.

The pieces live in `service.cds` (request, prefetch, screen, cards); this module puts
them in order. The request is read and its prefetch screened in a worker thread when the
body is large (a 10,000-resource prefetch is 7.5 MB, which would stall every other
request on the event loop), on the loop when it is small (`usecases.cpu`); the data
missing from the prefetch are read from the client's `fhirServer` on the event loop, and
screened (with the prefetch) in a worker thread.

Who the caller is, and spending its token, is the route's business (`api/cds_auth`): the
caller comes in here only to say which FHIR servers it may have read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from anyio import to_thread

from service.cds.discovery import PrefetchKey, prefetch_keys
from service.cds.prefetch import (
    FetchLimits,
    PrefetchRead,
    complete,
    gather_prefetch,
    missing_records,
    read_prefetch,
)
from service.cds.request import HookRequest, parse_hook_request
from service.cds.screen import screen
from service.fhir_json import Json
from service.intake import Record
from service.metrics import ASSESSMENTS
from service.security.clients import TrustedClient
from service.settings import Settings
from service.terminology import Terminology
from service.usecases.cpu import run_cpu

log = logging.getLogger("oms_cds.cds")

#: Risks whose checklist follows the course of treatment (DESIGN.md).
FOLLOWS_THE_COURSE = frozenset({"certain", "high"})


@dataclass(frozen=True, slots=True)
class HookAnswer:
    """The cards (`[]` for low risk) and the risk level behind them."""

    cards: list[Json]
    risk: str


def fetch_limits(settings: Settings) -> FetchLimits:
    """The bounds on the FHIR-server fallback (`OMS_CDS_FHIR_*`, `OMS_MAX_BODY_BYTES`)."""
    return FetchLimits(
        settings.cds_fhir_timeout_seconds, settings.cds_fhir_max_pages, settings.max_body_bytes
    )


async def screen_hook(
    body: bytes,
    caller: TrustedClient,
    terminology: Terminology,
    limits: FetchLimits,
    *,
    app_launch_url: str,
) -> HookAnswer:
    """The cards for the hook request in `body`.

    BadHookRequest (400) for a request this service cannot answer, PreconditionFailed
    (412) when the data cannot be had, UnprocessablePayload (422) for data that cannot
    be assessed or concern another patient. `app_launch_url` is the clinician app the
    cards link to.
    """
    keys = prefetch_keys(terminology)
    screen_for = partial(_screen, terminology=terminology, app_launch_url=app_launch_url)
    request, read, answer = await run_cpu(
        partial(_read_and_screen, body, keys, screen_for), size=len(body)
    )
    if answer is None:  # the prefetch lacks data: read them on the event loop
        found = await complete(request, read, caller, limits)
        answer = await to_thread.run_sync(partial(screen_for, request, found))
    else:
        found = read.records()
    risk, cards = answer
    missing = missing_records(request, keys)
    if risk in FOLLOWS_THE_COURSE and missing:
        # The checklist follows what was given: read the treatment record the EHR did
        # not prefetch (most calls are low risk and never need it).
        found = [*found, *await gather_prefetch(request, missing, caller, limits)]
        risk, cards = await to_thread.run_sync(partial(screen_for, request, found))
    ASSESSMENTS.labels("cds-hook", risk).inc()
    log.info("cds hook answered", extra={"hook_instance": request.hook_instance})
    return HookAnswer(cards, risk)


Answer = tuple[str, list[Json]]


def _read_and_screen(
    body: bytes,
    keys: Sequence[PrefetchKey],
    screen_for: Callable[[HookRequest, list[Record]], Answer],
) -> tuple[HookRequest, PrefetchRead, Answer | None]:
    """The request, its prefetch, and (when the prefetch has every key) the screen: one
    step for the usual call (a worker-thread hop costs ~0.3 ms of a ~5 ms call)."""
    request = parse_hook_request(body)
    read = read_prefetch(request, keys, records_from_prefetch_only=True)
    if not read.complete:
        return request, read, None
    return request, read, screen_for(request, read.records())


def _screen(
    request: HookRequest, found: list[Record], *, terminology: Terminology, app_launch_url: str
) -> Answer:
    """The risk and the cards (`cds.screen`), in a worker thread."""
    return screen(request, found, terminology, app_launch_url=app_launch_url)
