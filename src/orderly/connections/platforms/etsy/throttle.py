"""Etsy's per-second and per-day limits, per application: calls are spaced to the reported
per-second limit, a spent day raises `PlatformBusy`, a 429 without Retry-After backs off
(its Retry-After is waited by `VendorHttp`), and the calls are counted for the daily budget."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

import httpx

from orderly.connections.errors import PlatformBusy
from orderly.kit.vendor_http import VendorHttp

DEFAULT_PER_SECOND = 10
DEFAULT_PER_DAY = 10_000
# With the day's allowance spent, work waits this long before it asks again: Etsy frees
# the calls of its oldest bucket as its 24-hour window slides.
DAY_SPENT_WAIT = 900.0
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 32.0
LIMIT_PER_SECOND = "x-limit-per-second"
REMAINING_THIS_SECOND = ("x-remaining-this-second", "x-remaining-this-secon")
LIMIT_PER_DAY = "x-limit-per-day"
REMAINING_TODAY = "x-remaining-today"


@dataclass(frozen=True, slots=True)
class DailyBudget:
    """Calls this connection's client made, and the application's day as Etsy last told it."""

    calls: int
    limit_per_day: int
    remaining_today: int | None


def _header_int(response: httpx.Response, *names: str) -> int | None:
    for name in names:
        value = response.headers.get(name)
        if value is not None:
            try:
                return int(value)
            except ValueError:
                return None
    return None


class EtsyThrottle:
    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self.per_second = DEFAULT_PER_SECOND
        self.per_day = DEFAULT_PER_DAY
        self.remaining_today: int | None = None
        self.calls = 0
        self._sent: deque[float] = deque()
        self._streak = 0

    def budget(self) -> DailyBudget:
        return DailyBudget(
            calls=self.calls, limit_per_day=self.per_day, remaining_today=self.remaining_today
        )

    async def before(self, request: httpx.Request) -> None:
        """Holds a call until the last second has room for it."""
        if self.remaining_today is not None and self.remaining_today <= 0:
            raise PlatformBusy(
                f"etsy: the application's {self.per_day} calls a day are spent",
                extra={"retry_after": DAY_SPENT_WAIT},
            )
        clock = self.http.clock
        self._forget_before(clock.now() - 1.0)
        if len(self._sent) >= self.per_second:
            await clock.sleep(self._sent[0] + 1.0 - clock.now())
            self._forget_before(clock.now() - 1.0)
        self._sent.append(clock.now())
        self.calls += 1

    def _forget_before(self, moment: float) -> None:
        while self._sent and self._sent[0] <= moment:
            self._sent.popleft()

    async def after(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            # Etsy sends no rate-limit headers with a 429.
            self._streak += 1
            if not response.headers.get("retry-after"):
                pause = min(FIRST_PAUSE * 2 ** (self._streak - 1), LONGEST_PAUSE)
                self.http.pause_for(pause / 2 + random.uniform(0, pause / 2))
            return
        self._streak = 0
        per_second = _header_int(response, LIMIT_PER_SECOND)
        if per_second and per_second > 0:
            self.per_second = per_second
        per_day = _header_int(response, LIMIT_PER_DAY)
        if per_day and per_day > 0:
            self.per_day = per_day
        remaining_today = _header_int(response, REMAINING_TODAY)
        if remaining_today is not None:
            self.remaining_today = remaining_today
        if _header_int(response, *REMAINING_THIS_SECOND) == 0:
            # Other connections of the same application spent this second.
            self.http.pause_for(1.0)


class _BeforeRequest:
    def __init__(self, throttle: EtsyThrottle) -> None:
        self.throttle = throttle

    async def __call__(self, request: httpx.Request) -> None:
        await self.throttle.before(request)


class _AfterResponse:
    def __init__(self, throttle: EtsyThrottle) -> None:
        self.throttle = throttle

    async def __call__(self, response: httpx.Response) -> None:
        await self.throttle.after(response)


def throttle_of(http: VendorHttp) -> EtsyThrottle:
    """The client's throttle, installed on its first use."""
    hooks = http.client.event_hooks
    for hook in hooks.get("response", []):
        if isinstance(hook, _AfterResponse) and hook.throttle.http is http:
            return hook.throttle
    throttle = EtsyThrottle(http)
    http.client.event_hooks = {
        "request": [*hooks.get("request", []), _BeforeRequest(throttle)],
        "response": [*hooks.get("response", []), _AfterResponse(throttle)],
    }
    return throttle
