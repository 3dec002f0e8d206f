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
"""

from __future__ import annotations

import gc

from service import defaults


def settle() -> None:
    """Set the thresholds, collect what start-up left behind, freeze the rest out of sight.

    Called by the app's lifespan once the terminology and storage are up; calling it
    again (a second app in one process, as tests do) only freezes what is new.
    """
    gc.set_threshold(*defaults.GC_THRESHOLD)
    gc.collect()
    gc.freeze()
