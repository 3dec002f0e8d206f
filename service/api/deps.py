"""FastAPI dependencies as Annotated aliases: what a route needs, built once per process."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.settings import Settings
from service.terminology import Terminology


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_terminology(request: Request) -> Terminology:
    terminology: Terminology = request.app.state.terminology
    return terminology


SettingsDep = Annotated[Settings, Depends(get_settings)]
TerminologyDep = Annotated[Terminology, Depends(get_terminology)]
