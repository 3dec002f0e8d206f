"""The collector is set once, when the app has started (`service.heap`), never per request
(tests/test_fast_path_differential.py: assessing flips no process-wide switch)."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from service import defaults
from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology


def test_start_up_sets_the_thresholds_and_freezes_what_it_built(terminology: Terminology) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    app = create_app(Settings(), terminology)
    assert gc.get_freeze_count() == 0  # not when the app is made: when it starts
    with TestClient(app) as client:
        assert gc.get_threshold() == defaults.GC_THRESHOLD
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # FastAPI, the models, the terminology: the start-up heap
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() <= frozen  # a request freezes nothing more
