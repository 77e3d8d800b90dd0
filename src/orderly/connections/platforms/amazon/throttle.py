"""Amazon's usage plans: each SP-API operation has its own token bucket (a rate in requests per
second and a burst) per selling partner and application. Every request, retries included,
takes a token from its operation's bucket on the vendor clock before it leaves; a 429 empties
the bucket, and a rate Amazon reports in `x-amzn-RateLimit-Limit` replaces the documented one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from orderly.connections.errors import PlatformBusy
from orderly.kit.vendor_http import VendorHttp

RATE_HEADER = "x-amzn-ratelimit-limit"


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    path: re.Pattern[str]
    rate: float  # requests per second, Amazon's documented default
    burst: int


_ID = r"[^/]+"
OPERATIONS = (
    Operation("getOrders", "GET", re.compile(r"/orders/v0/orders"), 0.0167, 20),
    Operation("getOrder", "GET", re.compile(rf"/orders/v0/orders/{_ID}"), 0.5, 30),
    Operation("getOrderItems", "GET", re.compile(rf"/orders/v0/orders/{_ID}/orderItems"), 0.5, 30),
    Operation(
        "confirmShipment",
        "POST",
        re.compile(rf"/orders/v0/orders/{_ID}/shipmentConfirmation"),
        2.0,
        10,
    ),
    Operation(
        "createRestrictedDataToken",
        "POST",
        re.compile(r"/tokens/2021-03-01/restrictedDataToken"),
        1.0,
        10,
    ),
    Operation(
        "searchListingsItems", "GET", re.compile(rf"/listings/2021-08-01/items/{_ID}"), 5.0, 5
    ),
    Operation(
        "patchListingsItem",
        "PATCH",
        re.compile(rf"/listings/2021-08-01/items/{_ID}/{_ID}"),
        5.0,
        5,
    ),
)


def operation_of(method: str, path: str) -> Operation | None:
    return next((op for op in OPERATIONS if op.method == method and op.path.fullmatch(path)), None)


@dataclass(slots=True)
class Bucket:
    """Tokens may go below zero: each caller reserves the next token and waits its turn."""

    rate: float
    burst: float
    tokens: float
    at: float

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def reserve(self, now: float) -> float:
        """Takes a token; answers how long to wait until it is there."""
        self._refill(now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def give_back(self) -> None:
        self.tokens += 1

    def empty(self, now: float) -> None:
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)


class UsagePlans:
    """Buckets by (account, operation) for this process: Amazon counts per selling partner and
    application, so every job of one account draws on the same buckets."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def bucket(self, account: str, operation: Operation, now: float) -> Bucket:
        key = (account, operation.name)
        if key not in self._buckets:
            self._buckets[key] = Bucket(
                rate=operation.rate, burst=operation.burst, tokens=operation.burst, at=now
            )
        return self._buckets[key]


PLANS = UsagePlans()


class Throttle:
    """Request and response hooks of one connection's client."""

    def __init__(self, http: VendorHttp, account: str, plans: UsagePlans = PLANS) -> None:
        self.http = http
        self.account = account
        self.plans = plans

    def _bucket(self, request: httpx.Request) -> Bucket | None:
        # The raw path: a SKU may hold an encoded "/".
        path = request.url.raw_path.split(b"?")[0].decode("ascii")
        operation = operation_of(request.method, path)
        if operation is None:
            return None
        return self.plans.bucket(self.account, operation, self.http.clock.now())

    async def before(self, request: httpx.Request) -> None:
        bucket = self._bucket(request)
        if bucket is None:
            return
        wait = bucket.reserve(self.http.clock.now())
        if wait > self.http.policy.longest_wait:
            bucket.give_back()
            raise PlatformBusy(
                f"amazon's usage plan for {request.url.path} needs a {wait:.0f} s wait",
                extra={"retry_after": wait},
            )
        if wait > 0:
            await self.http.clock.sleep(wait)

    async def after(self, response: httpx.Response) -> None:
        bucket = self._bucket(response.request)
        if bucket is None:
            return
        reported = reported_rate(response.headers.get(RATE_HEADER))
        if reported is not None:
            bucket.rate = reported
        if response.status_code == 429:
            bucket.empty(self.http.clock.now())


def reported_rate(value: str | None) -> float | None:
    try:
        rate = float(value) if value else None
    except ValueError:
        return None
    return rate if rate and rate > 0 else None


def install(http: VendorHttp, account: str) -> None:
    """The hooks once per client, however many connectors are built over it."""
    hooks: dict[str, list[Any]] = dict(http.client.event_hooks)
    if any(isinstance(getattr(h, "__self__", None), Throttle) for h in hooks.get("request", [])):
        return
    throttle = Throttle(http, account)
    http.client.event_hooks = {
        **hooks,
        "request": [*hooks.get("request", []), throttle.before],
        "response": [*hooks.get("response", []), throttle.after],
    }
