"""BigCommerce's quota: every answer says how many requests are left in the store's window and
when it resets. At zero, and on a 429, no call goes out until the reset."""

from __future__ import annotations

import httpx

from orderly.kit.vendor_http import VendorHttp

REQUESTS_LEFT = "x-rate-limit-requests-left"
TIME_RESET_MS = "x-rate-limit-time-reset-ms"


def _number(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


class QuotaWatch:
    """A response hook on the connection's client that pauses its `VendorHttp`."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    async def __call__(self, response: httpx.Response) -> None:
        left = _number(response, REQUESTS_LEFT)
        reset_ms = _number(response, TIME_RESET_MS)
        if reset_ms is None:
            return  # a 429 without the headers is load, not quota: the backoff handles it
        if response.status_code == 429 or (left is not None and left <= 0):
            self.http.pause_for(reset_ms / 1000)


def watch_quota(http: VendorHttp) -> None:
    """Install the hook once per client, however many connectors are built over it."""
    hooks = http.client.event_hooks
    on_response = list(hooks.get("response", []))
    if any(isinstance(hook, QuotaWatch) and hook.http is http for hook in on_response):
        return
    http.client.event_hooks = {**hooks, "response": [*on_response, QuotaWatch(http)]}
