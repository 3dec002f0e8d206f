"""Helpers for the API tests (the `client` fixture lives in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()
