"""The shop's listings and their SKUs: `getListingsByShop` page by page (100 a page) for each
listing state Orderly shows stock on, with each listing's inventory attached
(`includes=Inventory`), read separately for a listing that comes without it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from orderly.connections.port import Listing

PAGE_SIZE = 100
# Sold-out and expired listings come back only when the seller renews them on Etsy (a
# listing fee), drafts are not for sale: neither is shown stock.
DEFAULT_STATES = ("active", "inactive")

Call = Callable[..., Awaitable[Any]]


def listings_of(listing: Mapping[str, Any], inventory: Mapping[str, Any]) -> list[Listing]:
    return [
        Listing(
            sku=str(product["sku"]),
            product_id=str(listing["listing_id"]),
            variant_id=str(product["product_id"]) if product.get("product_id") else None,
        )
        for product in inventory.get("products") or ()
        if product.get("sku") and not product.get("is_deleted")
    ]


async def shop_listings(
    call: Call, shop_id: str, states: Sequence[str]
) -> AsyncIterator[Sequence[Listing]]:
    for state in states:
        offset = 0
        while True:
            params = {
                "state": state,
                "limit": PAGE_SIZE,
                "offset": offset,
                "includes": "Inventory",
            }
            page = await call("GET", f"/v3/application/shops/{shop_id}/listings", params=params)
            results = list(page.get("results") or [])
            found: list[Listing] = []
            for listing in results:
                inventory = listing.get("inventory")
                if inventory is None:
                    path = f"/v3/application/listings/{listing['listing_id']}/inventory"
                    inventory = await call("GET", path)
                found.extend(listings_of(listing, inventory))
            if found:
                yield found
            offset += len(results)
            if len(results) < PAGE_SIZE or offset >= int(page.get("count") or 0):
                break
