"""Catalog ids and stock levels. Simple products are set through POST /products/batch, variations
through POST /products/{id}/variations/batch, each at most 100 objects (WooCommerce's limit);
a refusal of one object comes back in the batch answer, not as the request's status."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.woocommerce.pull import PER_PAGE
from orderly.connections.platforms.woocommerce.shop_api import ShopApi
from orderly.connections.port import Listing, StockPushResult, StockQuantity

BATCH_LIMIT = 100


async def _pages(shop: ShopApi, path: str) -> AsyncIterator[list[dict[str, Any]]]:
    page = 1
    while True:
        params = {"per_page": PER_PAGE, "page": page, "orderby": "id", "order": "asc"}
        response = await shop.call("GET", f"/wc/v3{path}", params=params)
        rows: list[dict[str, Any]] = response.json()
        yield rows
        pages = int(response.headers.get("x-wp-totalpages") or page)
        if len(rows) < PER_PAGE or page >= pages:
            return
        page += 1


async def listings(shop: ShopApi) -> AsyncIterator[Sequence[Listing]]:
    """Products page by page; a variable product's variations follow its page."""
    async for products in _pages(shop, "/products"):
        found = [
            Listing(sku=p["sku"], product_id=str(p["id"]))
            for p in products
            if p.get("sku") and p.get("type") != "variable"
        ]
        if found:
            yield found
        for product in products:
            if product.get("type") != "variable":
                continue
            async for variations in _pages(shop, f"/products/{product['id']}/variations"):
                found = [
                    Listing(sku=v["sku"], product_id=str(product["id"]), variant_id=str(v["id"]))
                    for v in variations
                    if v.get("sku")
                ]
                if found:
                    yield found


def _chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [items[i : i + BATCH_LIMIT] for i in range(0, len(items), BATCH_LIMIT)]


async def push(shop: ShopApi, quantities: Sequence[StockQuantity]) -> StockPushResult:
    """WooCommerce has one stock figure per product or variation: no locations."""
    refused: dict[str, str] = {}
    simple: dict[int, str] = {}
    variations: dict[int, dict[int, str]] = defaultdict(dict)
    levels: dict[str, int] = {}
    for quantity in quantities:
        listing = quantity.listing
        levels[listing.sku] = quantity.available
        if not listing.product_id or not listing.product_id.isdigit():
            refused[listing.sku] = "no WooCommerce product id for this SKU (listings not synced)"
        elif listing.variant_id:
            variations[int(listing.product_id)][int(listing.variant_id)] = listing.sku
        else:
            simple[int(listing.product_id)] = listing.sku
    pushed = 0
    targets = [("/products/batch", simple)] + [
        (f"/products/{parent}/variations/batch", skus) for parent, skus in variations.items()
    ]
    for path, skus in targets:
        updates = [
            {"id": item_id, "manage_stock": True, "stock_quantity": levels[sku]}
            for item_id, sku in skus.items()
        ]
        for chunk in _chunks(updates):
            pushed += await _send_batch(shop, path, chunk, skus, refused)
    return StockPushResult(pushed=pushed, refused=refused)


async def _send_batch(
    shop: ShopApi,
    path: str,
    chunk: list[dict[str, Any]],
    skus: dict[int, str],
    refused: dict[str, str],
) -> int:
    try:
        answer = await shop.api("POST", path, json={"update": chunk})
    except PlatformRefused as error:
        # The whole batch refused (its parent product is gone): each of its SKUs waits.
        for item in chunk:
            refused[skus[item["id"]]] = error.detail
        return 0
    taken = 0
    answered = {int(row.get("id") or 0): row for row in answer.get("update") or []}
    for item in chunk:
        sku = skus[item["id"]]
        row = answered.get(item["id"])
        if row is None:
            refused[sku] = "WooCommerce did not answer for this item"
        elif "error" in row:
            problem = row["error"] or {}
            refused[sku] = f"{problem.get('code', 'error')}: {problem.get('message', '')}".strip()
        else:
            taken += 1
    return taken
