"""Shorter GIL time slices while a large body is worked on, so the event loop keeps answering.

CPU work runs in worker threads, but a thread running Python code keeps the GIL for up to
the interpreter's switch interval (5 ms) each time the event loop asks for it, and the
loop asks several times per request it serves: during a 100,000-entry `$oms-assess` a
`/healthz` probe waited 20-50 ms (median) on this project's 2-core machine, more when other
jobs loaded it (bench [4], [8]). While a body of `LARGE_BODY_BYTES` or more is worked on,
the interval is 1 ms: probes then wait 4 ms (median) and at most 16 ms during a 10,000-resource
patient-view. Small requests keep the default, which throughput needs (bench [5]: a 1 ms
interval for every request cost 10-20 points). Process-wide and counted, like the collector
pause: overlapping large requests restore the interval when the last one ends.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from service import defaults

SHORT_SWITCH_INTERVAL: Final = 0.001

_lock = threading.Lock()
_active = 0
_saved_interval = 0.0


@contextmanager
def short_slices_for(body_size: int) -> Iterator[None]:
    """Shorter slices while the block runs, if the body is large; otherwise nothing."""
    if body_size < defaults.LARGE_BODY_BYTES:
        yield
        return
    global _active, _saved_interval
    with _lock:
        if _active == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, SHORT_SWITCH_INTERVAL))
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                sys.setswitchinterval(_saved_interval)
