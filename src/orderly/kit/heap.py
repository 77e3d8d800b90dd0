"""The garbage collector of a long-running server process, set for request work."""

from __future__ import annotations

import gc

# A request allocates and frees thousands of objects, and reference counting frees nearly all of
# them. CPython's default starts a young collection every 700 net allocations: under load that is
# hundreds of collections a second which find almost nothing, and now and then a full collection
# that walks every object the process has held since startup (routes, schemas, SQL), for tens of
# milliseconds while every request in the process waits. Measured on order capture: 6 to 7% of an
# API process's CPU, and most of its p99 (docs/performance.md).
YOUNG_GENERATION_THRESHOLD = 5_000
MIDDLE_GENERATION_THRESHOLD = 20
OLD_GENERATION_THRESHOLD = 100


def settle_after_startup() -> None:
    """Call once the process has built what it keeps for its whole life: the objects of startup
    leave the collector's view (they are never garbage), and young collections run less often.
    Cycles are still collected; the cost is a little more memory between collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(
        YOUNG_GENERATION_THRESHOLD, MIDDLE_GENERATION_THRESHOLD, OLD_GENERATION_THRESHOLD
    )
