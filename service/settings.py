"""The service's configuration, read once from the environment (prefix `OMS_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

#: `profiles/fsh-generated/resources` at the repository root, next to `service/`.
DEFAULT_PROFILES_DIR = (
    Path(__file__).resolve().parent.parent / "profiles" / "fsh-generated" / "resources"
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    #: Folder holding the SUSHI output (`OMS_PROFILES_DIR`).
    profiles_dir: Path = DEFAULT_PROFILES_DIR

    #: Largest request body accepted, in bytes (`OMS_MAX_BODY_BYTES`); larger gets 413.
    max_body_bytes: int = 32 * 1024 * 1024

    #: Address `oms-cds serve` binds to by default (`OMS_HOST`, `OMS_PORT`).
    host: str = "127.0.0.1"
    port: int = 8080
