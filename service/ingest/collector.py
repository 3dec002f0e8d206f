"""The cyclic garbage collector paused while ingest builds its (cycle-free) trees."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pause_lock = threading.Lock()
_pauses = 0
_collector_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic GC while any ingest runs; restore it when the last one ends.

    Parsing builds about a million containers for a 10,000-entry bundle, and the GC,
    triggered by their allocation, would traverse the growing tree again and again
    (bench: 1.6x the ingest time at 10k entries, 2.3x at 100k). The tree holds no
    cycles and is freed by reference counting when ingest returns, so the GC has
    nothing to find in it. Counted, so overlapping requests in worker threads never
    leave the collector disabled; if something else disabled it, it stays disabled.
    The skeleton path builds far fewer containers and gains nothing measurable from
    the pause (within +-5% at 8 and 50 MB); it stays for the orjson fall-back path.
    """
    global _pauses, _collector_was_enabled
    with _pause_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()
