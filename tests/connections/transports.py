"""A transport that times out: the platform's answer never comes for the next requests."""

from __future__ import annotations

import httpx


class TimingOut(httpx.AsyncBaseTransport):
    """Raises ReadTimeout for the next `failures` requests, then lets the inner one answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: int = 0) -> None:
        self.inner = inner
        self.failures = failures

    def time_out_next(self, count: int) -> None:
        self.failures += count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.failures > 0:
            self.failures -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        return await self.inner.handle_async_request(request)
