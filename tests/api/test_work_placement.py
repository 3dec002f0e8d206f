"""Where a request's CPU-bound work runs (`service.usecases.cpu`): a small body on the
event loop, a body over `INLINE_MAX_BYTES` in a worker thread, on the routes that work on
a posted body; the answer is the same either way."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

import service.usecases.assess_bundle as assess_bundle
import service.usecases.cpu as cpu
import service.usecases.screen_hook as screen_hook
from tests.api.cds_calls import MakeClient, high_body, post
from tests.api.conftest import example


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _spy(
    monkeypatch: pytest.MonkeyPatch, inline_max: int, module: ModuleType, name: str
) -> list[bool]:
    """With the inline limit at `inline_max`, replace `module.name` by a spy that notes, per
    call, whether it ran on a loop."""
    monkeypatch.setattr(cpu, "INLINE_MAX_BYTES", inline_max)
    on_loop: list[bool] = []
    real: Callable[..., Any] = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        on_loop.append(_on_event_loop())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return on_loop


def test_small_work_runs_on_the_loop_and_large_in_a_worker_thread() -> None:
    async def scenario() -> tuple[int, int, int]:
        here = threading.get_ident()
        small = await cpu.run_cpu(threading.get_ident, size=cpu.INLINE_MAX_BYTES)
        large = await cpu.run_cpu(threading.get_ident, size=cpu.INLINE_MAX_BYTES + 1)
        return here, small, large

    here, small, large = asyncio.run(scenario())
    assert small == here
    assert large != here


def test_an_error_comes_out_the_same_from_the_loop_and_from_a_thread() -> None:
    def fail() -> None:
        raise ValueError("refused")

    async def scenario(size: int) -> str:
        with pytest.raises(ValueError) as raised:
            await cpu.run_cpu(fail, size=size)
        return str(raised.value)

    assert asyncio.run(scenario(0)) == asyncio.run(scenario(cpu.INLINE_MAX_BYTES + 1))


@pytest.mark.parametrize("inline_max", [cpu.INLINE_MAX_BYTES, 0])
def test_oms_assess_works_on_a_small_body_on_the_loop_and_a_large_one_off_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, inline_max: int
) -> None:
    on_loop = _spy(monkeypatch, inline_max, assess_bundle, "assess_payload")
    body = example("high")
    assert len(body) <= cpu.INLINE_MAX_BYTES or inline_max == 0

    response = client.post(
        "/fhir/$oms-assess", content=body, headers={"Content-Type": "application/fhir+json"}
    )
    assert response.status_code == 200
    assert response.json()["entry"][0]["resource"]["resourceType"] == "RiskAssessment"
    assert on_loop == [inline_max > 0]


@pytest.mark.parametrize("inline_max", [cpu.INLINE_MAX_BYTES, 0])
def test_a_hook_is_read_and_screened_on_the_loop_when_small_and_off_it_when_large(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, inline_max: int
) -> None:
    on_loop = _spy(monkeypatch, inline_max, screen_hook, "_read_and_screen")
    client = make_client(trusted=False, cds_insecure_dev=True)

    response = post(client, high_body(), key=None)
    assert response.status_code == 200
    assert response.json()["cards"][0]["indicator"] == "warning"
    assert on_loop == [inline_max > 0]
