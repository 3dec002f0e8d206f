"""The service's configuration, read once from the environment (prefix `OMS_`), validated.

A process that starts must be able to serve: every number that must be positive is, every
URL parses (http or https, with a host), ports are 1-65535. `load_settings` turns the
first problem into `InvalidSetting`, one line naming the variable (and the value given,
unless the variable holds a secret); `oms-cds serve` prints it and exits 2, and
`create_app` refuses settings that do not validate (`checked`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import orjson
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    HttpUrl,
    SecretStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service import defaults
from service.errors import InvalidSetting

DEFAULT_PROFILES_DIR = defaults.PROFILES_DIR
ENV_PREFIX = "OMS_"

_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)
_URL_RULE = "must be an http or https URL with a host"


def _http_url(value: str) -> str:
    """The URL as given, if pydantic's HttpUrl parses it and it names a host."""
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        raise ValueError(_URL_RULE) from None
    if not urlsplit(value).hostname:
        raise ValueError(_URL_RULE)
    return value


def _origin(value: str) -> str:
    return value if value == "*" else _http_url(value)


def _json_list(value: Any) -> Any:
    """A list variable is a JSON array (`'["https://a.example"]'`); said so when it is not."""
    if not isinstance(value, str | bytes):
        return value
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise ValueError("must be a JSON array of strings") from None
    if not isinstance(parsed, list):  # pydantic reports ValueErrors only, not TypeErrors
        raise ValueError("must be a JSON array of strings")  # noqa: TRY004
    return parsed


def _database_url(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value():
        return value
    scheme = value.get_secret_value().partition(":")[0].lower()
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise ValueError("must start with sqlite:/// or postgresql://")
    return value


HttpUrlText = Annotated[str, AfterValidator(_http_url)]
UrlList = Annotated[list[HttpUrlText], NoDecode, BeforeValidator(_json_list)]
OriginList = Annotated[list[Annotated[str, AfterValidator(_origin)]], NoDecode,
                       BeforeValidator(_json_list)]  # fmt: skip
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeSeconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    #: Folder holding the SUSHI output (`OMS_PROFILES_DIR`).
    profiles_dir: Path = DEFAULT_PROFILES_DIR
    #: Level of the service's JSON log lines (`OMS_LOG_LEVEL`).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    #: Largest request body accepted, in bytes (`OMS_MAX_BODY_BYTES`); larger gets 413.
    max_body_bytes: PositiveInt = defaults.MAX_BODY_BYTES
    #: Most Bundle entries one request may carry (`OMS_MAX_ENTRIES`); more gets 413.
    max_entries: PositiveInt = defaults.MAX_ENTRIES

    #: Admission control (`service.admission`, docs/HARDENING.md "Sizing"): requests
    #: worked on at once, request-body bytes held at once, and how long a request may
    #: wait for room before it gets 503 with Retry-After. Probes are never held back.
    max_concurrent_requests: PositiveInt = defaults.MAX_CONCURRENT_REQUESTS
    max_bytes_in_flight: PositiveInt = defaults.MAX_BYTES_IN_FLIGHT
    admission_wait_seconds: NonNegativeSeconds = defaults.ADMISSION_WAIT_SECONDS

    #: Address `oms-cds serve` binds to by default (`OMS_HOST`, `OMS_PORT`).
    host: str = "127.0.0.1"
    port: Port = 8080

    #: FHIR server read by `GET /fhir/Patient/{id}/$oms-assess` (`OMS_FHIR_BASE_URL`);
    #: unset, that route answers 501. `OMS_FHIR_TOKEN`: bearer token sent to it, if any.
    fhir_base_url: HttpUrlText | None = None
    fhir_token: SecretStr | None = None
    #: Seconds: connect and read timeouts per request, and the bound on one whole
    #: operation against the server, retries and paging included.
    fhir_connect_timeout: PositiveSeconds = defaults.FHIR_CONNECT_TIMEOUT
    fhir_read_timeout: PositiveSeconds = defaults.FHIR_READ_TIMEOUT
    fhir_deadline: PositiveSeconds = defaults.FHIR_DEADLINE
    #: Retries of reads after connection errors, 429 and 503; longest Retry-After honoured.
    fhir_max_retries: NonNegativeInt = defaults.FHIR_MAX_RETRIES
    fhir_retry_after_cap: NonNegativeSeconds = defaults.FHIR_RETRY_AFTER_CAP
    #: Caps on one search: pages followed, entries, bytes.
    fhir_max_pages: PositiveInt = defaults.FHIR_MAX_PAGES
    fhir_max_entries: PositiveInt = defaults.FHIR_MAX_ENTRIES
    fhir_max_bytes: PositiveInt = defaults.FHIR_MAX_BYTES
    #: /readyz: seconds allowed for the FHIR server's `GET metadata`, and seconds its
    #: answer is reused, so frequent probes do not hammer the server.
    readyz_fhir_timeout: PositiveSeconds = 2.0
    readyz_cache_seconds: NonNegativeSeconds = 5.0

    # CDS Hooks (docs/CDS_HOOKS.md). `OMS_CDS_CLIENTS_FILE`: JSON list of trusted clients,
    # each {"iss", "jwks" or "jwks_url", "fhir_servers": [URL prefixes]}; without it every
    # CDS call is refused (401) unless `OMS_CDS_INSECURE_DEV=1` (local demos only).
    cds_clients_file: Path | None = None
    cds_insecure_dev: bool = False
    #: FHIR servers the service may call back in insecure dev mode (`OMS_CDS_DEV_FHIR_SERVERS`).
    cds_dev_fhir_servers: UrlList = []
    #: The service's public URL, e.g. `https://cds.example.org`; JWT `aud` must be under it.
    public_base_url: HttpUrlText | None = None
    #: Browser origins allowed on /cds-services (`OMS_CDS_CORS_ORIGINS='["https://..."]'`).
    cds_cors_origins: OriginList = []
    #: The embedded database's file when `OMS_DATABASE_URL` is unset (`OMS_CDS_FEEDBACK_DB`).
    cds_feedback_db: Path = Path("var/feedback.sqlite3")
    #: FHIR-server fallback: per-request timeout and the most search pages followed.
    cds_fhir_timeout_seconds: PositiveSeconds = defaults.CDS_FHIR_TIMEOUT
    cds_fhir_max_pages: PositiveInt = defaults.CDS_FHIR_MAX_PAGES
    #: Clock skew tolerated on JWT `exp`/`iat`, and the longest JWT lifetime accepted.
    cds_jwt_leeway_seconds: NonNegativeInt = 60
    cds_jwt_max_lifetime_seconds: PositiveInt = 3600

    #: Shared state, the JWT replay cache and the CDS feedback (`OMS_DATABASE_URL`): unset
    #: or `sqlite:///PATH`, an embedded SQLite file for one process; for several replicas,
    #: `postgresql://user:password@host:5432/dbname` (libpq URL, `?sslmode=...` allowed).
    database_url: Annotated[SecretStr | None, AfterValidator(_database_url)] = None
    #: Most PostgreSQL connections per process, and seconds a call waits for one (then
    #: 503): long enough for a burst of calls to queue on a busy machine.
    database_pool_size: PositiveInt = 10
    database_timeout: PositiveSeconds = 5.0

    #: SMART on FHIR clinician app at /app (docs/SMART_APP.md): the OAuth client id it
    #: uses with the EHR's authorization server (`OMS_SMART_CLIENT_ID`).
    smart_client_id: str = "oms-cds"

    @model_validator(mode="after")
    def _one_body_fits_in_flight(self) -> Settings:
        if self.max_bytes_in_flight < self.max_body_bytes:
            raise ValueError(
                "OMS_MAX_BYTES_IN_FLIGHT must be at least OMS_MAX_BODY_BYTES, or a body of "
                "the largest size accepted could never be admitted"
            )
        return self

    def storage_url(self) -> str:
        """`OMS_DATABASE_URL`, or the embedded SQLite file."""
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.cds_feedback_db}"


#: Variables whose values are never echoed in an error.
SECRET_FIELDS = frozenset({"fhir_token", "database_url"})


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (and `overrides`, which win); InvalidSetting
    naming the first variable at fault."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise InvalidSetting(describe(exc.errors()[0])) from None


def checked(settings: Settings) -> Settings:
    """`settings` validated again (one built with `model_construct` or changed after it
    was made is not trusted); InvalidSetting naming the first variable at fault."""
    values = {name: getattr(settings, name) for name in type(settings).model_fields}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise InvalidSetting(describe(exc.errors()[0])) from None


def describe(error: ErrorDetails) -> str:
    """`OMS_X must be ... (got V)`: the variable, the rule, and the value unless secret."""
    location = error["loc"]
    if not location:  # a check across variables: its message names them
        return str((error.get("ctx") or {}).get("error", "the settings are inconsistent"))
    field = str(location[0])
    item = f" (item {location[1]})" if len(location) > 1 else ""
    line = f"{ENV_PREFIX}{field.upper()}{item} {_rule(field, error)}"
    if field in SECRET_FIELDS:
        return line
    return f"{line} (got {_shown(error.get('input'))})"


def _rule(field: str, error: ErrorDetails) -> str:
    context = error.get("ctx") or {}
    kind = error["type"]
    if kind == "value_error":
        return str(context.get("error", "is invalid"))
    annotation = Settings.model_fields[field].annotation
    integer = annotation is int or kind.startswith("int")
    number = "an integer" if integer else "a number"
    if field == "port":
        return "must be an integer from 1 to 65535"
    if kind in ("greater_than", "int_parsing", "float_parsing", "finite_number") and _gt0(field):
        return f"must be a positive {'integer' if integer else 'number'}"
    if kind in ("greater_than_equal", "int_parsing", "float_parsing", "finite_number"):
        return f"must be {number} of 0 or more"
    if kind == "literal_error":
        return f"must be one of {context.get('expected', '')}"
    if kind == "bool_parsing":
        return "must be true or false"
    return "is invalid"


def _gt0(field: str) -> bool:
    return any(getattr(m, "gt", None) == 0 for m in Settings.model_fields[field].metadata)


def _shown(value: object) -> str:
    """The value as given, printable and short: an error line is one line."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 80 else text[:77] + "..."
