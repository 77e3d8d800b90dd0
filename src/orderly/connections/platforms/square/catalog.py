"""Square's order lines name an item variation (`catalog_object_id`), never a SKU: the SKU is
the variation's, read from the catalog in batches and kept for the connector's life, so a
pull of many orders asks once per variation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orderly.connections.port import Listing

BATCH_RETRIEVE_LIMIT = 1000  # object ids in one /v2/catalog/batch-retrieve
ITEM_VARIATION = "ITEM_VARIATION"

Post = Callable[[str, dict[str, Any]], Awaitable[Any]]
Get = Callable[[str, dict[str, str]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Variation:
    """What an order line needs of its item variation."""

    sku: str | None
    item_id: str | None


def variation_of(catalog_object: Mapping[str, Any]) -> Variation:
    data = catalog_object.get("item_variation_data") or {}
    return Variation(sku=str(data.get("sku") or "") or None, item_id=data.get("item_id"))


class SkuResolver:
    def __init__(self, post: Post) -> None:
        self._post = post
        self._known: dict[str, Variation] = {}

    async def resolve(self, variation_ids: Iterable[str]) -> Mapping[str, Variation]:
        """The variations by id, asking the catalog only for those not known yet. A variation
        the catalog no longer has (deleted even from history) maps to no SKU."""
        wanted = sorted({i for i in variation_ids if i} - set(self._known))
        for start in range(0, len(wanted), BATCH_RETRIEVE_LIMIT):
            chunk = wanted[start : start + BATCH_RETRIEVE_LIMIT]
            body = {"object_ids": chunk, "include_deleted_objects": True}
            answer = await self._post("/v2/catalog/batch-retrieve", body) or {}
            for obj in answer.get("objects") or []:
                if obj.get("type") == ITEM_VARIATION:
                    self._known[str(obj["id"])] = variation_of(obj)
            for missing in set(chunk) - set(self._known):
                self._known[missing] = Variation(sku=None, item_id=None)
        return self._known


async def listings(get: Get) -> AsyncIterator[Sequence[Listing]]:
    """The catalog's item variations, a page (100 objects, Square's size) at a time."""
    cursor: str | None = None
    while True:
        params = {"types": ITEM_VARIATION}
        if cursor:
            params["cursor"] = cursor
        body = await get("/v2/catalog/list", params) or {}
        page = [
            Listing(
                sku=variation.sku,
                product_id=variation.item_id,
                variant_id=str(obj["id"]),
                inventory_item_id=str(obj["id"]),
            )
            for obj in body.get("objects") or []  # ListCatalog leaves deleted objects out
            for variation in [variation_of(obj)]
            if variation.sku
        ]
        if page:
            yield page
        cursor = body.get("cursor")
        if not cursor:
            return
