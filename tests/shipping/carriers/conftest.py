"""What every carrier's tests share: the clock each vendor call waits on, moved by the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orderly.kit.vendor_http import use_clock
from tests.clock import MovableClock


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    clock = MovableClock()
    use_clock(clock)
    yield clock
    use_clock(None)
