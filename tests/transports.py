"""Transports that fail as networks do: an answer that never comes (the vendor did nothing),
or one lost on the way back (the vendor did the work, the caller cannot know)."""

from __future__ import annotations

import httpx


class TimingOut(httpx.AsyncBaseTransport):
    """Raises ReadTimeout for the next `failures` requests without passing them on; with
    `lose_next_answers`, passes the next requests on and raises ReadTimeout instead of their
    answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: int = 0) -> None:
        self.inner = inner
        self.failures = failures
        self.lost = 0

    def time_out_next(self, count: int) -> None:
        self.failures += count

    def lose_next_answers(self, count: int) -> None:
        self.lost += count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.failures > 0:
            self.failures -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        response = await self.inner.handle_async_request(request)
        if self.lost > 0:
            self.lost -= 1
            await response.aclose()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response
