"""Calls to a sales platform: a timeout on each, 5xx and timeouts retried with jittered backoff,
429 answered by waiting its Retry-After, and pauses that a platform's own rate-limit headers ask
for. Waiting goes through a clock that tests move, so no test waits out a real minute."""

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

from orderly.connections.errors import (
    CredentialsRefused,
    PlatformBusy,
    PlatformRefused,
    PlatformUnavailable,
)
from orderly.kit.clock import utcnow
from orderly.kit.outbound import OutboundPolicy, guarded_client


class PlatformClock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


_clock: PlatformClock = RealClock()


def use_clock(clock: PlatformClock | None) -> None:
    """Replace the clock every platform call waits on (None: the real one); tests move theirs."""
    global _clock
    _clock = clock or RealClock()


def platform_clock() -> PlatformClock:
    return _clock


TransportRoute = Callable[[str], httpx.AsyncBaseTransport | None]
_route: TransportRoute | None = None


def use_transport(route: TransportRoute | None) -> None:
    """Send the calls for some base URLs through other transports (None: the network). Tests
    route each platform to its fake in this process this way."""
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
    # work is rescheduled (PlatformBusy) and the worker is free for others.
    longest_wait: float = 60.0
    timeout: float = 20.0


class _Retry(Exception):
    """A failure worth another attempt; `wait` is what the platform asked for, if anything."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class PlatformHttp:
    """One connection's HTTP to its platform. The platform's connector decides what its answers
    mean beyond the status (GraphQL throttling, rate-limit headers) and calls `pause_for`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        platform: str,
        clock: PlatformClock | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.platform = platform
        self.clock = clock or platform_clock()
        self.policy = policy or RetryPolicy()
        self._paused_until = 0.0
        self.calls = 0

    def pause_for(self, seconds: float) -> None:
        """No call goes out for `seconds` (the platform's bucket is empty)."""
        self._paused_until = max(self._paused_until, self.clock.now() + max(seconds, 0.0))

    async def wait(self, seconds: float) -> None:
        if seconds > self.policy.longest_wait:
            raise PlatformBusy(
                f"{self.platform} asks to wait {seconds:.0f} s", extra={"retry_after": seconds}
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
    ) -> httpx.Response:
        """The platform's answer (2xx or 3xx), after the retries the policy allows; raises
        `CredentialsRefused` (401, 403), `PlatformRefused` (other 4xx), `PlatformBusy` or
        `PlatformUnavailable`."""
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
                    return await self._once(
                        method,
                        url,
                        params=params,
                        json=json,
                        content=content,
                        headers=headers,
                        auth=auth,
                    )
        except _Retry as last:
            raise PlatformUnavailable(
                f"{self.platform}: {last.reason} (after {self.policy.attempts} attempts)"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        await self.wait(self._paused_until - self.clock.now())
        self.calls += 1
        try:
            response = await self.client.request(method, url, timeout=self.policy.timeout, **kwargs)
        except httpx.TimeoutException:
            raise _Retry("timed out") from None
        except httpx.TransportError as error:
            raise _Retry(f"could not connect ({type(error).__name__})") from None
        status = response.status_code
        if status == 429:
            wait = retry_after(response) or self.policy.first_wait
            await self.wait(wait)  # raises PlatformBusy when too long to wait here
            raise _Retry("rate limited (429)", wait=0.0)
        if status >= 500:
            raise _Retry(f"answered {status}")
        if status in (401, 403):
            raise CredentialsRefused(
                f"{self.platform} answered {status}: {excerpt(response)}",
                extra={"platform_status": status},
            )
        if status >= 400:
            raise PlatformRefused(
                f"{self.platform} answered {status}: {excerpt(response)}",
                extra={"platform_status": status},
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


def platform_http(
    platform: str,
    *,
    policy: OutboundPolicy,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PlatformHttp:
    """A connection's HTTP: guarded against private addresses unless the policy allows them."""
    retry = retry or RetryPolicy()
    timeout = httpx.Timeout(retry.timeout, connect=min(retry.timeout, 10.0))
    client = (
        httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        if transport is not None
        else guarded_client(policy, timeout=timeout)
    )
    return PlatformHttp(client, platform=platform, policy=retry)
