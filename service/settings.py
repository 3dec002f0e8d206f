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
