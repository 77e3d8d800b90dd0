"""The garbage collector of a long-running server process, set for request work."""

from __future__ import annotations

import gc

# Reference counting frees nearly everything a request allocates. CPython's default starts a
# young collection every 700 net allocations: under load, many collections that find almost
# nothing, and now and then a full one that walks every object held since startup while every
# request in the process waits (docs/architecture.md; its cost in docs/performance.md).
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
