"""Calls to the GraphQL Admin API: the access token, Shopify's errors in a 200, and its
calculated-cost bucket, read from every answer so that calls pause before the bucket runs dry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderly.connections.errors import PlatformBusy, PlatformRefused
from orderly.kit.vendor_http import VendorHttp

# A THROTTLED answer is waited out and the call sent again, this many times at most.
THROTTLED_ATTEMPTS = 5
PACING_MARGIN = 0.1


@dataclass(slots=True)
class Bucket:
    """The cost bucket as last seen: points available at `seen_at` (clock seconds)."""

    maximum: float
    available: float
    restore_rate: float
    seen_at: float

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + self.restore_rate * (now - self.seen_at))


class ShopifyGraphql:
    def __init__(self, http: VendorHttp, *, endpoint: str, access_token: str) -> None:
        self.http = http
        self.endpoint = endpoint
        self._headers = {"X-Shopify-Access-Token": access_token}
        self.bucket: Bucket | None = None
        # What each document asked for last time: the points to have before sending it again.
        self._costs: dict[str, float] = {}

    async def call(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        """The `data` of the answer; raises `PlatformRefused` for GraphQL errors."""
        for _ in range(THROTTLED_ATTEMPTS):
            self._pace(document)
            response = await self.http.send(
                "POST",
                self.endpoint,
                json={"query": document, "variables": variables or {}},
                headers=self._headers,
            )
            body = response.json()
            cost = (body.get("extensions") or {}).get("cost")
            if cost:
                self._note(document, cost)
            errors = body.get("errors")
            if not errors:
                return body.get("data")
            if any(_code(error) == "THROTTLED" for error in errors):
                continue  # `_pace` waits for the points this document needs
            raise PlatformRefused(
                "shopify: " + "; ".join(str(error.get("message")) for error in errors),
                extra={"platform_codes": [_code(error) for error in errors]},
            )
        raise PlatformBusy(f"shopify throttled {THROTTLED_ATTEMPTS} times in a row")

    def _pace(self, document: str) -> None:
        needed = self._costs.get(document)
        if self.bucket is None or needed is None or self.bucket.restore_rate <= 0:
            return
        shortfall = needed - self.bucket.available_at(self.http.clock.now())
        if shortfall > 0:
            # A little over the exact refill: the bucket we saw may be a moment old.
            self.http.pause_for(shortfall / self.bucket.restore_rate + PACING_MARGIN)

    def _note(self, document: str, cost: dict[str, Any]) -> None:
        requested = cost.get("requestedQueryCost")
        if requested is not None:
            self._costs[document] = float(requested)
        status = cost.get("throttleStatus") or {}
        if "currentlyAvailable" in status:
            self.bucket = Bucket(
                maximum=float(status.get("maximumAvailable", 0)),
                available=float(status["currentlyAvailable"]),
                restore_rate=float(status.get("restoreRate", 0)),
                seen_at=self.http.clock.now(),
            )


def _code(error: dict[str, Any]) -> str | None:
    code = (error.get("extensions") or {}).get("code")
    return str(code) if code else None


def user_errors(payload: dict[str, Any] | None, key: str = "userErrors") -> list[dict[str, Any]]:
    return list((payload or {}).get(key) or [])


def refuse_on(errors: list[dict[str, Any]], action: str) -> None:
    if errors:
        raise PlatformRefused(
            f"shopify refused to {action}: " + "; ".join(str(e.get("message")) for e in errors),
            extra={"platform_errors": errors},
        )
