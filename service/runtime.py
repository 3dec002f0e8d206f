"""What lives as long as the process: built once, handed to every request.

The settings, the terminology, the storage (the JWT replay cache and the feedback) and
one pooled client of the configured FHIR server. httpx's client is meant to be reused:
one per app keeps its connections open from one `Patient/{id}/$oms-assess` to the next,
where a client per request paid a new connection (and TLS handshake) every time.

`create_app` builds the runtime; the app's lifespan calls `start()` and `stop()`. The
FHIR client is made in `start()`, not before: its connections belong to the event loop
that serves the app, and an app served twice (tests) gets a fresh client each time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from service.clients.fhir import FhirClient, limits_from
from service.errors import FhirServerNotConfigured
from service.settings import Settings
from service.storage import Storage, StorageUnavailable, open_storage
from service.terminology import Terminology

log = logging.getLogger("oms_cds.app")


@dataclass(slots=True)
class Runtime:
    """The process's long-lived parts; `fhir_client()` once `start()` has run."""

    settings: Settings
    terminology: Terminology
    storage: Storage
    _fhir: FhirClient | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(cls, settings: Settings, terminology: Terminology) -> Runtime:
        """Everything that needs no event loop: the storage object is made, not opened."""
        storage = open_storage(
            settings.storage_url(),
            pool_size=settings.database_pool_size,
            timeout=settings.database_timeout,
        )
        return cls(settings, terminology, storage)

    async def start(self) -> None:
        """Open the database (migrations included) and the FHIR server's client.

        `oms-cds serve` has already checked the database and exits when it cannot reach
        it; if it goes away after that, the service runs not ready (`/readyz` 503, hook
        calls 503) and recovers by itself when it answers again.
        """
        settings = self.settings
        if settings.fhir_base_url:
            token = settings.fhir_token.get_secret_value() if settings.fhir_token else None
            # The settings refused anything but an http(s) URL with a host.
            self._fhir = FhirClient(
                settings.fhir_base_url, token=token, limits=limits_from(settings)
            )
        try:
            await self.storage.open()
        except StorageUnavailable:
            log.error("database unavailable at start: not ready until it answers")  # noqa: TRY400

    async def stop(self) -> None:
        """Close the FHIR client's connections and the database."""
        fhir, self._fhir = self._fhir, None
        try:
            if fhir is not None:
                await fhir.aclose()
        finally:
            await self.storage.close()

    def fhir_client(self) -> FhirClient:
        """The pooled client of `OMS_FHIR_BASE_URL`; FhirServerNotConfigured (501) without one.

        RuntimeError before `start()`: a route that reads the FHIR server was served by an
        app whose lifespan did not run.
        """
        if not self.settings.fhir_base_url:
            raise FhirServerNotConfigured(
                "This server is not connected to a FHIR server (OMS_FHIR_BASE_URL is not set); "
                "POST the patient's data to /fhir/$oms-assess instead."
            )
        if self._fhir is None:
            raise RuntimeError("the FHIR client is made when the app starts (its lifespan)")
        return self._fhir
