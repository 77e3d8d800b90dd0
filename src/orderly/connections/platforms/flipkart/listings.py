"""The seller's listings: every SKU with its Flipkart product (FSN) and listing id through the
listing search (500 a page), and single SKUs with their locations and GST rate."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote

from orderly.connections.platforms.flipkart.api import FlipkartApi
from orderly.connections.port import Listing

SEARCH = "/sellers/listings/v3/search"
BY_SKU = "/sellers/listings/v3"
SKUS_PER_CALL = 10


def listing_of(row: dict[str, Any]) -> Listing | None:
    sku = str(row.get("sku_id") or row.get("sku") or "")
    if not sku:
        return None
    return Listing(
        sku=sku,
        product_id=str(row.get("product_id") or "") or None,
        variant_id=str(row.get("listing_id") or "") or None,
    )


async def every_listing(api: FlipkartApi) -> AsyncIterator[Sequence[Listing]]:
    page_id: str | None = None
    while True:
        body = await api.post(SEARCH, {"page_id": page_id})
        rows = body.get("listings") or []
        if isinstance(rows, dict):  # Flipkart's reference shows one object; a list is read too
            rows = [rows]
        page = [found for row in rows for found in [listing_of(row)] if found]
        if page:
            yield page
        page_id = body.get("next_page_id")
        if not body.get("has_more") or not page_id:
            return


async def by_skus(api: FlipkartApi, skus: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The listings Flipkart has for these SKUs; the SKUs it does not know are left out."""
    found: dict[str, dict[str, Any]] = {}
    wanted = list(dict.fromkeys(skus))
    for start in range(0, len(wanted), SKUS_PER_CALL):
        chunk = ",".join(quote(s, safe="") for s in wanted[start : start + SKUS_PER_CALL])
        body = await api.get(f"{BY_SKU}/{chunk}")
        available = body.get("available") or {}
        found.update({str(sku): dict(detail) for sku, detail in available.items()})
    return found
