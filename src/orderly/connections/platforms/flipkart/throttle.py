"""Flipkart publishes no rate limits. A 429 that names a Retry-After is waited out by the
connection's `VendorHttp`; one that names none pauses the connection's next call, doubling
with each 429 in a row (half fixed, half jitter), until an answer that is not a 429."""

from __future__ import annotations

import random

import httpx

from orderly.kit.vendor_http import VendorHttp

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 32.0


class RateLimitBackoff:
    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self.streak = 0

    async def __call__(self, response: httpx.Response) -> None:
        if response.status_code != 429:
            self.streak = 0
            return
        self.streak += 1
        if response.headers.get("retry-after"):
            return
        pause = min(FIRST_PAUSE * 2 ** (self.streak - 1), LONGEST_PAUSE)
        self.http.pause_for(pause / 2 + random.uniform(0, pause / 2))


def back_off_on_429(http: VendorHttp) -> None:
    """Install the hook once per client, however many connectors are built over it."""
    hooks = http.client.event_hooks
    on_response = list(hooks.get("response", []))
    if any(isinstance(hook, RateLimitBackoff) and hook.http is http for hook in on_response):
        return
    http.client.event_hooks = {**hooks, "response": [*on_response, RateLimitBackoff(http)]}
