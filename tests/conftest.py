"""Shared fixtures: the real terminology from profiles/, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.terminology import Terminology, load_terminology

FIXTURE_TERMINOLOGY = Path(__file__).parent / "fixtures" / "terminology"


@pytest.fixture(scope="session")
def terminology() -> Terminology:
    """The terminology the service would load (profiles/, or OMS_PROFILES_DIR if set)."""
    return load_terminology()
