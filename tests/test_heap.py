"""The API process's garbage collector after startup (kit.heap)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from orderly.kit import heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class Node:
    def __init__(self) -> None:
        self.peer: Node | None = None


def test_startup_objects_leave_the_collectors_view_and_young_collections_are_rarer(
    restored_collector: None,
) -> None:
    kept_for_life = [Node() for _ in range(100)]

    heap.settle_after_startup()

    assert gc.get_freeze_count() >= len(kept_for_life)
    assert gc.get_threshold()[0] == heap.YOUNG_GENERATION_THRESHOLD > 700


def test_cycles_made_after_startup_are_still_collected(restored_collector: None) -> None:
    heap.settle_after_startup()
    first, second = Node(), Node()
    first.peer, second.peer = second, first
    watch = weakref.ref(first)
    del first, second

    gc.collect()

    assert watch() is None
