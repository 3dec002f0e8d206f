"""Admission control: a bound on requests worked on at once and on request-body bytes held.

Memory is what a burst exhausts first: each large body is held in full while it is
assessed, and the assessment needs a multiple of it again (bench/RESULTS.md [3], [10]).
Without a bound, six concurrent 30 MiB bodies peaked at 786 MiB in a replica given 512 MiB.
A request is admitted when both its slot and its declared body size fit under the
limits; otherwise it waits, in order of arrival, at most `wait` seconds, and is refused
after that (the HTTP layer answers 503 with Retry-After). A body without a declared size
(chunked) takes room as it arrives (`Ticket.grow`).

One `Limits` per process, built at start-up; it is used on the event loop only (no lock):
every change happens between awaits. Waiters hold futures of the running loop, so the
object can outlive one loop (tests start several) as long as nothing waits across them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Waiter:
    requests: int
    nbytes: int
    granted: asyncio.Future[None]


@dataclass
class Limits:
    """The bounds and what is taken of them now."""

    max_requests: int
    max_bytes: int
    requests: int = 0
    nbytes: int = 0
    _waiters: deque[_Waiter] = field(default_factory=deque, repr=False)

    async def admit(self, nbytes: int, wait: float) -> Ticket | None:
        """A ticket for one request with `nbytes` of body, or None if no room came in time."""
        if not await self._take(1, nbytes, wait):
            return None
        return Ticket(self, nbytes)

    def _fits(self, requests: int, nbytes: int) -> bool:
        return (
            self.requests + requests <= self.max_requests and self.nbytes + nbytes <= self.max_bytes
        )

    async def _take(self, requests: int, nbytes: int, wait: float, *, first: bool = False) -> bool:
        """Take the room now, or wait for it in line (`first`: at its head) up to `wait` s."""
        if (first or not self._waiters) and self._fits(requests, nbytes):
            self.requests += requests
            self.nbytes += nbytes
            return True
        if wait <= 0:
            return False
        waiter = _Waiter(requests, nbytes, asyncio.get_running_loop().create_future())
        if first:
            self._waiters.appendleft(waiter)
        else:
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(wait):
                await asyncio.shield(waiter.granted)
        except TimeoutError:
            if waiter.granted.done():  # granted as the time ran out: it is taken, keep it
                return True
            self._waiters.remove(waiter)
            waiter.granted.cancel()
            self._wake()  # a smaller waiter behind this one may fit now
            return False
        except asyncio.CancelledError:
            if waiter.granted.done():
                self._give(requests, nbytes)
            else:
                self._waiters.remove(waiter)
                waiter.granted.cancel()
            self._wake()
            raise
        return True

    def _give(self, requests: int, nbytes: int) -> None:
        self.requests -= requests
        self.nbytes -= nbytes
        self._wake()

    def _wake(self) -> None:
        """Grant waiters in order of arrival while the first one fits (no overtaking, so a
        large body is not starved by a stream of small ones)."""
        while self._waiters and self._fits(self._waiters[0].requests, self._waiters[0].nbytes):
            waiter = self._waiters.popleft()
            self.requests += waiter.requests
            self.nbytes += waiter.nbytes
            waiter.granted.set_result(None)


@dataclass(eq=False)
class Ticket:
    """One admitted request's share: given back exactly once by `release`."""

    limits: Limits
    nbytes: int
    released: bool = False

    async def grow(self, total: int, wait: float) -> bool:
        """Take room for a body now known to be `total` bytes; False if none came in time.

        An admitted request goes before those still waiting to be admitted: finishing
        what was accepted frees its room soonest.
        """
        more = total - self.nbytes
        if more <= 0:
            return True
        if not await self.limits._take(0, more, wait, first=True):
            return False
        self.nbytes = total
        return True

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limits._give(1, self.nbytes)
