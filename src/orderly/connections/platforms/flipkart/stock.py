"""Stock as Flipkart listing inventory, at most 10 SKUs a call, each SKU's units by Flipkart
location. Flipkart answers SKU by SKU: refused SKUs are reported with its reasons and the
others are taken; a call refused whole is sent again SKU by SKU."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.port import StockPushResult

UPDATE_INVENTORY = "/sellers/listings/v3/update/inventory"
SKUS_PER_CALL = 10
ENABLED = "ENABLED"
REFUSED = "FAILURE"

Post = Callable[[str, Any], Awaitable[Any]]


@dataclass(slots=True)
class Inventory:
    """One SKU's update: its Flipkart product (FSN) and units by Flipkart location."""

    sku: str
    product_id: str
    units: dict[str, int] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        locations = [
            {"id": location, "status": ENABLED, "inventory": max(count, 0)}
            for location, count in sorted(self.units.items())
        ]
        return {"product_id": self.product_id, "locations": locations}


def reasons(answer: Mapping[str, Any]) -> str:
    said = [
        str(e.get("description") or e.get("code") or "")
        for key in ("errors", "attribute_errors")
        for e in answer.get(key) or []
        if isinstance(e, Mapping) and e.get("severity", "ERROR") == "ERROR"
    ]
    return "; ".join(s for s in said if s) or "refused by Flipkart"


async def push_inventory(post: Post, updates: Sequence[Inventory]) -> StockPushResult:
    pushed, refused = 0, {}
    for start in range(0, len(updates), SKUS_PER_CALL):
        done, bad = await _send(post, list(updates[start : start + SKUS_PER_CALL]))
        pushed += done
        refused.update(bad)
    return StockPushResult(pushed=pushed, refused=refused)


async def _send(post: Post, batch: list[Inventory]) -> tuple[int, dict[str, str]]:
    try:
        answer = await post(UPDATE_INVENTORY, {u.sku: u.body() for u in batch})
    except PlatformRefused as refusal:
        if refusal.extra.get("vendor_status") != 400:
            raise
        if len(batch) == 1:
            return 0, {batch[0].sku: refusal.detail}
        singles = [await _send(post, [update]) for update in batch]
        return sum(s[0] for s in singles), {k: v for s in singles for k, v in s[1].items()}
    refused: dict[str, str] = {}
    for update in batch:
        result = answer.get(update.sku) if isinstance(answer, Mapping) else None
        if not isinstance(result, Mapping):
            refused[update.sku] = "Flipkart gave no answer for this SKU"
        elif str(result.get("status") or "").upper() == REFUSED:
            refused[update.sku] = reasons(result)
    return len(batch) - len(refused), refused
