"""Calls to another company's API (a sales platform, a carrier, a 3PL): a timeout on each, 5xx
and timeouts retried with jittered backoff, 429 answered by waiting its Retry-After, and pauses
that the vendor's own rate-limit headers ask for. A call that must not be repeated blindly (a
label bought) is sent once: a timeout then means its outcome is unknown. Waiting goes through a
clock that tests move, so no test waits out a real minute. Each feature names its own errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from orderly.kit.clock import utcnow
from orderly.kit.errors import OrderlyError
from orderly.kit.outbound import OutboundPolicy, guarded_client


class VendorClock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


_clock: VendorClock = RealClock()


def use_clock(clock: VendorClock | None) -> None:
    """Replace the clock every vendor call waits on (None: the real one); tests move theirs."""
    global _clock
    _clock = clock or RealClock()


def vendor_clock() -> VendorClock:
    return _clock


TransportRoute = Callable[[str], httpx.AsyncBaseTransport | None]
_route: TransportRoute | None = None


def use_transport(route: TransportRoute | None) -> None:
    """Send the calls for some base URLs through other transports (None: the network). Tests
    route each vendor to its fake in this process this way."""
    global _route
    _route = route


def routed_transport(base_url: str) -> httpx.AsyncBaseTransport | None:
    return _route(base_url) if _route is not None else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    first_wait: float = 0.5
    longest_backoff: float = 20.0
    # A Retry-After or rate-limit pause longer than this is not waited out inside a job: the
    # work is rescheduled (`VendorErrors.busy`) and the worker is free for others.
    longest_wait: float = 60.0
    timeout: float = 20.0


@dataclass(frozen=True, slots=True)
class VendorErrors:
    """The errors a feature raises for a vendor's answers, so that its API keeps its own codes."""

    # 5xx, timeouts or no connection, after the retries: the work waits and is tried again.
    unavailable: type[OrderlyError]
    # Rate limited for longer than a job should wait.
    busy: type[OrderlyError]
    # 401 or 403: the credentials are wrong, revoked or lack a scope.
    credentials_refused: type[OrderlyError]
    # Another 4xx: the same request would fail again.
    refused: type[OrderlyError]
    # A call sent once timed out or lost its answer: it may or may not have been carried out.
    outcome_unknown: type[OrderlyError]


class _Retry(Exception):
    """A failure worth another attempt; `wait` is what the vendor asked for, if anything."""

    def __init__(self, reason: str, wait: float | None = None, *, sent: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        # False when the request never left (no connection): repeating it is always safe.
        self.sent = sent


class VendorHttp:
    """One account's HTTP to a vendor. The vendor's connector decides what its answers mean
    beyond the status (GraphQL throttling, rate-limit headers) and calls `pause_for`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        vendor: str,
        errors: VendorErrors,
        clock: VendorClock | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.vendor = vendor
        self.errors = errors
        self.clock = clock or vendor_clock()
        self.policy = policy or RetryPolicy()
        self._paused_until = 0.0
        self.calls = 0

    def pause_for(self, seconds: float) -> None:
        """No call goes out for `seconds` (the vendor's bucket is empty)."""
        self._paused_until = max(self._paused_until, self.clock.now() + max(seconds, 0.0))

    async def wait(self, seconds: float) -> None:
        if seconds > self.policy.longest_wait:
            raise self.errors.busy(
                f"{self.vendor} asks to wait {seconds:.0f} s", extra={"retry_after": seconds}
            )
        if seconds > 0:
            await self.clock.sleep(seconds)

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | None = None,
        once: bool = False,
    ) -> httpx.Response:
        """The vendor's answer (2xx or 3xx), after the retries the policy allows; raises the
        feature's `credentials_refused` (401, 403), `refused` (other 4xx), `busy` or
        `unavailable`. With `once`, a request that reached the vendor is never repeated: a
        timeout or a 5xx raises `outcome_unknown` (only a refused connection is retried)."""
        retrying = AsyncRetrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait_between,
            retry=retry_if_exception_type(_Retry),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        return await self._once(
                            method,
                            url,
                            params=params,
                            json=json,
                            content=content,
                            headers=headers,
                            auth=auth,
                        )
                    except _Retry as failure:
                        if once and failure.sent:
                            raise self.errors.outcome_unknown(
                                f"{self.vendor}: {failure.reason}; it may have been done"
                            ) from None
                        raise
        except _Retry as last:
            raise self.errors.unavailable(
                f"{self.vendor}: {last.reason} (after {self.policy.attempts} attempts)"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        await self.wait(self._paused_until - self.clock.now())
        self.calls += 1
        try:
            response = await self.client.request(method, url, timeout=self.policy.timeout, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise _Retry(f"could not connect ({type(error).__name__})", sent=False) from None
        except httpx.TimeoutException:
            raise _Retry("timed out") from None
        except httpx.TransportError as error:
            raise _Retry(f"lost the answer ({type(error).__name__})") from None
        status = response.status_code
        if status == 429:
            wait = retry_after(response) or self.policy.first_wait
            await self.wait(wait)  # raises `errors.busy` when too long to wait here
            raise _Retry("rate limited (429)", wait=0.0, sent=False)
        if status >= 500:
            raise _Retry(f"answered {status}")
        if status in (401, 403):
            raise self.errors.credentials_refused(
                f"{self.vendor} answered {status}: {excerpt(response)}",
                extra={"vendor_status": status},
            )
        if status >= 400:
            raise self.errors.refused(
                f"{self.vendor} answered {status}: {excerpt(response)}",
                extra={"vendor_status": status},
            )
        return response

    def _wait_between(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Retry) and failure.wait is not None:
            return failure.wait
        backoff = wait_random_exponential(
            multiplier=self.policy.first_wait, max=self.policy.longest_backoff
        )
        return float(backoff(state))

    async def _sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, given as seconds or as an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - utcnow()).total_seconds(), 0.0)


def excerpt(response: httpx.Response, limit: int = 300) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def vendor_http(
    vendor: str,
    *,
    errors: VendorErrors,
    policy: OutboundPolicy,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> VendorHttp:
    """An account's HTTP: guarded against private addresses unless the policy allows them."""
    retry = retry or RetryPolicy()
    timeout = httpx.Timeout(retry.timeout, connect=min(retry.timeout, 10.0))
    client = (
        httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        if transport is not None
        else guarded_client(policy, timeout=timeout)
    )
    return VendorHttp(client, vendor=vendor, errors=errors, policy=retry)
