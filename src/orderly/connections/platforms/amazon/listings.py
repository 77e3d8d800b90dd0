"""The seller's SKUs and their stock through the Listings Items API (2021-08-01). Listings come
from searchListingsItems, 20 a page; Amazon pages through at most 1,000 results of one search,
so a larger catalog is read in searches ordered by creation time, each starting where the last
ended. Stock is set per SKU with a JSON merge patch of `fulfillment_availability`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.amazon.api import AmazonApi
from orderly.connections.platforms.amazon.errors import describe, errors_of
from orderly.connections.port import Listing, StockPushResult, StockQuantity

LISTINGS = "/listings/2021-08-01/items"
PAGE_SIZE = 20  # searchListingsItems' maximum
DEFAULT_CHANNEL = "DEFAULT"  # the seller's own fulfillment (MFN)
# The patch names a product type; "PRODUCT" is the generic one for changing an offer.
PRODUCT_TYPE = "PRODUCT"
ACCEPTED = "ACCEPTED"


@dataclass(frozen=True, slots=True)
class Seller:
    seller_id: str
    marketplace_id: str


async def listings(api: AmazonApi, seller: Seller) -> AsyncIterator[Sequence[Listing]]:
    """Every SKU once, a page at a time, with its ASIN in this marketplace."""
    base = {
        "marketplaceIds": seller.marketplace_id,
        "includedData": "summaries",
        "pageSize": str(PAGE_SIZE),
        "sortBy": "createdDate",
        "sortOrder": "ASC",
    }
    path = f"{LISTINGS}/{quote(seller.seller_id, safe='')}"
    listed: set[str] = set()
    created_after: str | None = None
    while True:
        search = {**base, **({"createdAfter": created_after} if created_after else {})}
        params, read, last_created = dict(search), 0, None
        while True:
            answer = await api.call("GET", path, params=params)
            body = answer if isinstance(answer, dict) else {}
            items = [i for i in body.get("items") or [] if isinstance(i, dict)]
            read += len(items)
            page = []
            for item in items:
                summary = _summary(item, seller.marketplace_id)
                last_created = summary.get("createdDate") or last_created
                sku = str(item.get("sku") or "")
                if sku and sku not in listed:
                    listed.add(sku)
                    page.append(Listing(sku=sku, product_id=summary.get("asin") or None))
            if page:
                yield page
            token = (body.get("pagination") or {}).get("nextToken")
            if not token:
                break
            params = {**search, "pageToken": str(token)}
        found = int(body.get("numberOfResults") or 0)
        # Past Amazon's cap of 1,000, search again from the last creation time read (it is
        # inclusive: the SKUs seen at that instant are skipped). A search that would start
        # where the last one did (over 1,000 SKUs created in one instant) stops there.
        if read < found and last_created and last_created != created_after:
            created_after = last_created
            continue
        return


def _summary(item: dict[str, Any], marketplace_id: str) -> dict[str, Any]:
    summaries = [s for s in item.get("summaries") or [] if isinstance(s, dict)]
    mine = [s for s in summaries if s.get("marketplaceId") == marketplace_id]
    return (mine or summaries or [{}])[0]


def availability_patch(quantity: StockQuantity, product_type: str) -> dict[str, Any]:
    channel = quantity.platform_location or DEFAULT_CHANNEL
    return {
        "productType": product_type,
        "patches": [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [
                    {"fulfillment_channel_code": channel, "quantity": max(quantity.available, 0)}
                ],
            }
        ],
    }


async def push_stock(
    api: AmazonApi,
    seller: Seller,
    quantities: Sequence[StockQuantity],
    *,
    product_type: str = PRODUCT_TYPE,
) -> StockPushResult:
    """One patch per SKU (Amazon has no batch in this API). A SKU Amazon refuses, by a 4xx or
    by an INVALID submission, is reported with Amazon's issues; the others go on."""
    pushed, refused = 0, {}
    params = {"marketplaceIds": seller.marketplace_id}
    for quantity in quantities:
        sku = quantity.listing.sku
        path = f"{LISTINGS}/{quote(seller.seller_id, safe='')}/{quote(sku, safe='')}"
        try:
            body = await api.call(
                "PATCH", path, params=params, body=availability_patch(quantity, product_type)
            )
        except PlatformRefused as refusal:
            errors = errors_of(refusal)
            refused[sku] = describe(errors) if errors else refusal.detail
            continue
        status = str(body.get("status") or "") if isinstance(body, dict) else ""
        if status == ACCEPTED:
            pushed += 1
        else:
            refused[sku] = f"{status or 'no status'}: {_issues(body)}"
    return StockPushResult(pushed=pushed, refused=refused)


def _issues(body: Any) -> str:
    issues = body.get("issues") if isinstance(body, dict) else None
    errors = [
        f"{i.get('code')}: {i.get('message')}"
        for i in issues or []
        if isinstance(i, dict) and i.get("severity") == "ERROR"
    ]
    return "; ".join(errors) or "amazon gave no issue"
