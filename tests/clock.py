"""A clock that tests move: vendor calls (platforms, carriers) wait on it, and the fakes count
on it, so no test waits out a real second."""

from __future__ import annotations

import threading


class MovableClock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
