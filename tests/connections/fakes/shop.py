"""What every fake platform offers the tests, so that one test can drive all four alike.

A fake is an ASGI app that answers as the platform's documentation says, refuses what the
platform would refuse, and counts its rate limits on a `MovableClock`."""

from __future__ import annotations

from typing import Any, Protocol

from tests.clock import MovableClock


class FakeShop(Protocol):
    platform: str
    clock: MovableClock
    # Requests the fake answered 429 (the connector went faster than the platform allows).
    rate_limited: int

    @property
    def app(self) -> Any:
        """The ASGI app; every route lives under `base_path`."""
        ...

    @property
    def base_path(self) -> str:
        """What follows the host in the connection's base URL ("" for a shop at its domain's
        root, "/stores/abc123" for BigCommerce's API base)."""
        ...

    @property
    def credentials(self) -> dict[str, str]:
        """Credentials the fake accepts, keyed as the connection's `credentials`."""
        ...

    def add_product(self, sku: str, *, variant: bool = False) -> None:
        """A product (or a variant of one) with its platform ids and inventory item."""
        ...

    def place_order(
        self, lines: list[tuple[str, int]], *, currency: str = "USD", unit_price: str = "10.00"
    ) -> str:
        """A paid order for (sku, quantity) lines, shipped to a US address; its platform id."""
        ...

    def cancel_order(self, platform_order_id: str) -> None: ...

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        """The headers and body the platform sends to a subscribed URL for `event` ("created",
        "updated" or "cancelled") of that order, signed as the platform signs.
        Raises NotImplementedError for a platform that sends no webhooks."""
        ...

    def available(self, sku: str, location: str | None = None) -> int | None:
        """The quantity last set for the SKU (at the platform location, or its default one)."""
        ...

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        """Fulfillments recorded on the order, each with at least `tracking_number`."""
        ...

    def fail_next(self, count: int, *, status: int = 503) -> None:
        """The next `count` requests are answered `status`."""
        ...
