"""The service's configuration, read once from the environment (prefix `OMS_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from service import defaults

DEFAULT_PROFILES_DIR = defaults.PROFILES_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    #: Folder holding the SUSHI output (`OMS_PROFILES_DIR`).
    profiles_dir: Path = DEFAULT_PROFILES_DIR

    #: Largest request body accepted, in bytes (`OMS_MAX_BODY_BYTES`); larger gets 413.
    max_body_bytes: int = defaults.MAX_BODY_BYTES
    #: Most Bundle entries one request may carry (`OMS_MAX_ENTRIES`); more gets 413.
    max_entries: int = defaults.MAX_ENTRIES

    #: Address `oms-cds serve` binds to by default (`OMS_HOST`, `OMS_PORT`).
    host: str = "127.0.0.1"
    port: int = 8080

    #: FHIR server read by `GET /fhir/Patient/{id}/$oms-assess` (`OMS_FHIR_BASE_URL`);
    #: unset, that route answers 501. `OMS_FHIR_TOKEN`: bearer token sent to it, if any.
    fhir_base_url: str | None = None
    fhir_token: SecretStr | None = None
    #: Seconds: connect and read timeouts per request, and the bound on one whole
    #: operation against the server, retries and paging included.
    fhir_connect_timeout: float = defaults.FHIR_CONNECT_TIMEOUT
    fhir_read_timeout: float = defaults.FHIR_READ_TIMEOUT
    fhir_deadline: float = defaults.FHIR_DEADLINE
    #: Retries of reads after connection errors, 429 and 503; longest Retry-After honoured.
    fhir_max_retries: int = defaults.FHIR_MAX_RETRIES
    fhir_retry_after_cap: float = defaults.FHIR_RETRY_AFTER_CAP
    #: Caps on one search: pages followed, entries, bytes.
    fhir_max_pages: int = defaults.FHIR_MAX_PAGES
    fhir_max_entries: int = defaults.FHIR_MAX_ENTRIES
    fhir_max_bytes: int = defaults.FHIR_MAX_BYTES
    #: /readyz: seconds allowed for the FHIR server's `GET metadata`, and seconds its
    #: answer is reused, so frequent probes do not hammer the server.
    readyz_fhir_timeout: float = 2.0
    readyz_cache_seconds: float = 5.0

    # CDS Hooks (docs/CDS_HOOKS.md). `OMS_CDS_CLIENTS_FILE`: JSON list of trusted clients,
    # each {"iss", "jwks" or "jwks_url", "fhir_servers": [URL prefixes]}; without it every
    # CDS call is refused (401) unless `OMS_CDS_INSECURE_DEV=1` (local demos only).
    cds_clients_file: Path | None = None
    cds_insecure_dev: bool = False
    #: FHIR servers the service may call back in insecure dev mode (`OMS_CDS_DEV_FHIR_SERVERS`).
    cds_dev_fhir_servers: list[str] = []
    #: The service's public URL, e.g. `https://cds.example.org`; JWT `aud` must be under it.
    public_base_url: str | None = None
    #: Browser origins allowed on /cds-services (`OMS_CDS_CORS_ORIGINS='["https://..."]'`).
    cds_cors_origins: list[str] = []
    #: The embedded database's file when `OMS_DATABASE_URL` is unset (`OMS_CDS_FEEDBACK_DB`).
    cds_feedback_db: Path = Path("var/feedback.sqlite3")
    #: FHIR-server fallback: per-request timeout and the most search pages followed.
    cds_fhir_timeout_seconds: float = defaults.CDS_FHIR_TIMEOUT
    cds_fhir_max_pages: int = defaults.CDS_FHIR_MAX_PAGES
    #: Clock skew tolerated on JWT `exp`/`iat`, and the longest JWT lifetime accepted.
    cds_jwt_leeway_seconds: int = 60
    cds_jwt_max_lifetime_seconds: int = 3600

    #: Shared state, the JWT replay cache and the CDS feedback (`OMS_DATABASE_URL`): unset
    #: or `sqlite:///PATH`, an embedded SQLite file for one process; for several replicas,
    #: `postgresql://user:password@host:5432/dbname` (libpq URL, `?sslmode=...` allowed).
    database_url: SecretStr | None = None
    #: Most PostgreSQL connections per process, and seconds a call waits for one (then
    #: 503): long enough for a burst of calls to queue on a busy machine.
    database_pool_size: int = 10
    database_timeout: float = 5.0

    def storage_url(self) -> str:
        """`OMS_DATABASE_URL`, or the embedded SQLite file."""
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.cds_feedback_db}"

    #: SMART on FHIR clinician app at /app (docs/SMART_APP.md): the OAuth client id it
    #: uses with the EHR's authorization server (`OMS_SMART_CLIENT_ID`).
    smart_client_id: str = "oms-cds"
