"""Where a request's CPU-bound work runs: on the event loop when its body is small, in a
worker thread when it is large.

A worker thread keeps the event loop answering while a large body is worked on (a
100,000-entry Bundle takes seconds). For a small body it costs more than it gives: the
GIL lets one thread run Python at a time, so under concurrent requests the loop and the
workers hand the GIL back and forth at every switch interval (5 ms), and each handoff
costs time and cache. Measured on this machine kind with 8 concurrent connections and
one process, a 233 KB patient-view: 146-158 answers/s in a worker thread, 224-236/s on
the loop; its bare parse 375-460/s and 561-579/s; `$oms-assess` of 250 KB 213 -> 276/s
(bench/RESULTS.md, "2026-12-07 22:57, small bodies on the event loop"). Sequential calls
are the same either way.

`INLINE_MAX_BYTES` bounds what the loop works on itself: about 6 ms of work (12 us per KB
here), about one switch interval, which is what a request already waits for the loop while
a worker holds the GIL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from anyio import to_thread

from service import defaults

T = TypeVar("T")

INLINE_MAX_BYTES: Final = defaults.INLINE_WORK_MAX_BYTES


async def run_cpu(work: Callable[[], T], *, size: int) -> T:
    """`work()`, on the event loop if `size` (the body's bytes) is at most
    `INLINE_MAX_BYTES`, else in a worker thread."""
    if size <= INLINE_MAX_BYTES:
        return work()
    return await to_thread.run_sync(work)
