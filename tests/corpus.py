"""Where the shared, read-only material lives: `../shared` beside the checkout (as in CI),
or `OMS_SHARED_DIR`. Tests that need it fail, never skip, when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OMS_SHARED_DIR") or ROOT.parent / "shared")
CORPUS = SHARED / "fhir-corpus"
