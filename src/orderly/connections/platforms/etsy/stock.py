"""Stock out to Etsy: one inventory read and at most one write a listing, however many of its
SKUs are pushed; Etsy has no locations, so quantities are added up. Below the connection's
reserve of the day's calls, the remaining SKUs wait so orders and shipments keep theirs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.etsy.inventory import set_quantities
from orderly.connections.platforms.etsy.throttle import EtsyThrottle
from orderly.connections.port import StockPushResult, StockQuantity

Call = Callable[..., Awaitable[Any]]


def by_listing(
    quantities: Sequence[StockQuantity],
) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """The units wanted by listing id and SKU, and the SKUs no Etsy listing carries."""
    wanted: dict[str, dict[str, int]] = {}
    unlisted: dict[str, str] = {}
    for quantity in quantities:
        sku, listing_id = quantity.listing.sku, quantity.listing.product_id
        if not listing_id:
            unlisted[sku] = "not in the Etsy shop's listings (no listing id)"
            continue
        skus = wanted.setdefault(str(listing_id), {})
        skus[sku] = skus.get(sku, 0) + max(quantity.available, 0)
    return wanted, unlisted


async def push_quantities(
    call: Call, throttle: EtsyThrottle, quantities: Sequence[StockQuantity], *, reserve: int
) -> StockPushResult:
    wanted, refused = by_listing(quantities)
    pushed = 0
    for listing_id, skus in wanted.items():
        remaining = throttle.remaining_today
        if remaining is not None and remaining < reserve:
            reason = (
                f"etsy's daily allowance is down to {remaining} calls, below the {reserve} kept "
                "for orders and shipments: pushed again once it refills"
            )
            refused.update(dict.fromkeys(skus, reason))
            continue
        path = f"/v3/application/listings/{listing_id}/inventory"
        try:
            update = set_quantities(listing_id, await call("GET", path), skus)
            if update.changed:
                await call("PUT", path, body=update.body)
        except PlatformRefused as refusal:
            refused.update(dict.fromkeys(skus, refusal.detail))
            continue
        refused.update(update.refused)
        pushed += len(skus) - len(update.refused)
    return StockPushResult(pushed=pushed, refused=refused)
