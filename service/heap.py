"""The cyclic garbage collector, set once when the service has started, never per request.

After start-up the heap holds what lives for the process: FastAPI's routes and models,
the fhir.resources classes, the terminology (ValueSets, PlanDefinitions, compiled
FHIRPath). None of it is ever garbage, yet every full collection would traverse all of
it again. `gc.freeze()` moves it to the permanent generation, which the collector
skips, so a collection triggered by a request's allocations costs what the request
allocated, not what the process holds. Earlier versions paused the collector while
any ingest ran and shortened the GIL switch interval for large bodies: both switches
were process-wide, so one request changed the interpreter every other request ran in.

The first generation's threshold is raised from 700 to `defaults.GC_THRESHOLD`'s 10,000
allocations: ingest allocates containers by the hundred thousand and frees them by
reference counting, and each young collection promotes survivors that later full
collections traverse again. Measured in-process with `gc.callbacks` (bench/RESULTS.md
"The collector"): a 100,000-entry `$oms-assess` spends 89-103 ms in 69 collections
instead of 224-337 ms in 996; a 300-entry one none instead of 0.1 ms.

Where the C library is glibc, freed memory is also kept for the next request
(`mallopt`, once): by default glibc hands a large request's freed blocks back to the
system (blocks over its dynamic mmap threshold, and the top of the heap past 128 KiB),
and the next request faults the same pages in again, ~10 ms for a 10,000-resource
`$oms-assess` (bench/RESULTS.md). The heap may then keep up to `defaults.KEPT_FREE_BYTES`
free between requests; the peak, which the admission limits bound, does not change.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import platform

from service import defaults

#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def settle() -> None:
    """Set the thresholds, collect what start-up left behind, freeze the rest out of sight.

    Called by the app's lifespan once the terminology and storage are up; calling it
    again (a second app in one process, as tests do) only freezes what is new.
    """
    gc.set_threshold(*defaults.GC_THRESHOLD)
    gc.collect()
    gc.freeze()
    keep_freed_memory()


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse; False where the C library is not glibc
    (musl, macOS), which is left as it is."""
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    kept = defaults.KEPT_FREE_BYTES
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, defaults.MMAP_THRESHOLD_BYTES)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, kept)
    )
