"""`service.admission.Limits`: room for requests and body bytes, taken and given back,
waits bounded and in order of arrival (the HTTP side: tests/api/test_admission.py)."""

from __future__ import annotations

import asyncio

import pytest

from service.admission import Limits


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_admits_within_both_bounds_and_gives_the_room_back() -> None:
    async def scenario() -> None:
        limits = Limits(max_requests=2, max_bytes=100)
        first = await limits.admit(60, wait=0)
        second = await limits.admit(40, wait=0)
        assert first is not None and second is not None
        assert (limits.requests, limits.nbytes) == (2, 100)
        assert await limits.admit(0, wait=0) is None  # no slot left
        first.release()
        first.release()  # exactly once
        assert (limits.requests, limits.nbytes) == (1, 40)

    run(scenario())


def test_too_many_bytes_waits_and_then_is_refused() -> None:
    async def scenario() -> None:
        limits = Limits(max_requests=10, max_bytes=100)
        held = await limits.admit(80, wait=0)
        assert held is not None
        started = asyncio.get_running_loop().time()
        assert await limits.admit(30, wait=0.05) is None
        assert asyncio.get_running_loop().time() - started >= 0.05
        assert (limits.requests, limits.nbytes) == (1, 80)  # the refused took nothing

    run(scenario())


def test_a_waiter_is_admitted_when_room_is_given_back() -> None:
    async def scenario() -> None:
        limits = Limits(max_requests=1, max_bytes=100)
        held = await limits.admit(10, wait=0)
        assert held is not None
        waiting = asyncio.create_task(limits.admit(10, wait=5))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        held.release()
        ticket = await asyncio.wait_for(waiting, 1)
        assert ticket is not None
        assert (limits.requests, limits.nbytes) == (1, 10)

    run(scenario())


def test_waiters_are_admitted_in_order_of_arrival() -> None:
    """A large body waiting first is not overtaken by smaller ones that would fit."""

    async def scenario() -> None:
        limits = Limits(max_requests=10, max_bytes=100)
        held = await limits.admit(60, wait=0)
        assert held is not None
        large = asyncio.create_task(limits.admit(90, wait=5))
        await asyncio.sleep(0.01)
        small = asyncio.create_task(limits.admit(20, wait=5))
        await asyncio.sleep(0.01)
        assert not small.done()  # 20 would fit next to 60, but the large one came first
        held.release()
        large_ticket = await asyncio.wait_for(large, 1)
        assert large_ticket is not None
        assert not small.done()
        large_ticket.release()
        assert await asyncio.wait_for(small, 1) is not None

    run(scenario())


def test_a_growing_body_goes_before_requests_still_waiting() -> None:
    async def scenario() -> None:
        limits = Limits(max_requests=10, max_bytes=100)
        chunked = await limits.admit(0, wait=0)
        other = await limits.admit(60, wait=0)
        assert chunked is not None and other is not None
        waiting = asyncio.create_task(limits.admit(50, wait=5))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        assert await chunked.grow(40, wait=0)  # there is room: taken, whoever waits
        grown = asyncio.create_task(chunked.grow(90, wait=5))
        await asyncio.sleep(0.01)
        other.release()  # room for one of the two: the admitted body's
        assert await asyncio.wait_for(grown, 1) is True
        assert not waiting.done()
        assert (limits.nbytes, chunked.nbytes) == (90, 90)
        chunked.release()
        assert await asyncio.wait_for(waiting, 1) is not None

    run(scenario())


def test_a_waiter_whose_client_left_takes_nothing() -> None:
    async def scenario() -> None:
        limits = Limits(max_requests=1, max_bytes=100)
        held = await limits.admit(0, wait=0)
        assert held is not None
        waiting = asyncio.create_task(limits.admit(0, wait=5))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        held.release()
        assert (limits.requests, limits.nbytes) == (0, 0)
        assert await limits.admit(100, wait=0) is not None

    run(scenario())
