"""Stock as Square physical counts: each SKU's available units set as the IN_STOCK count of its
item variation at a location, through BatchChangeInventory, at most 100 changes a call. Where
Square's errors name a refused change by its position (`changes[3]...`), that change is
reported and the rest are sent again; a refusal that names none is halved until the bad
changes stand alone."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.square.errors import SquareError, errors_of, square_errors
from orderly.connections.platforms.square.fulfillment import rfc3339
from orderly.connections.port import StockPushResult

BATCH_CHANGE_LIMIT = 100
IN_STOCK = "IN_STOCK"

Post = Callable[[str, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Count:
    sku: str
    change: dict[str, Any]


def physical_count(
    *, variation_id: str, location_id: str, available: int, occurred_at: datetime
) -> dict[str, Any]:
    return {
        "type": "PHYSICAL_COUNT",
        "physical_count": {
            "catalog_object_id": variation_id,
            "location_id": location_id,
            "state": IN_STOCK,
            "quantity": str(max(available, 0)),  # Square takes quantities as decimal strings
            "occurred_at": rfc3339(occurred_at),
        },
    }


async def push_counts(post: Post, counts: Sequence[Count]) -> StockPushResult:
    pushed, refused = 0, {}
    for start in range(0, len(counts), BATCH_CHANGE_LIMIT):
        done, bad = await _send(post, list(counts[start : start + BATCH_CHANGE_LIMIT]))
        pushed += done
        refused.update(bad)
    return StockPushResult(pushed=pushed, refused=refused)


async def _send(post: Post, counts: list[Count]) -> tuple[int, dict[str, str]]:
    if not counts:
        return 0, {}
    body = {
        # A new key for each call; the connection's retries resend the same body and key.
        "idempotency_key": str(uuid.uuid4()),
        "changes": [c.change for c in counts],
        "ignore_unchanged_counts": True,
    }
    try:
        answer = await post("/v2/inventory/changes/batch-create", body)
    except PlatformRefused as refusal:
        if refusal.extra.get("vendor_status") != 400:
            raise
        return await _split(post, counts, errors_of(refusal), refusal.detail)
    # A bulk call may refuse single changes in a 200 answer.
    errors = square_errors(answer)
    named = _by_position(errors, len(counts))
    if not named:
        return len(counts), {}
    return len(counts) - len(named), {counts[i].sku: detail for i, detail in named.items()}


async def _split(
    post: Post, counts: list[Count], errors: list[SquareError], detail: str
) -> tuple[int, dict[str, str]]:
    named = _by_position(errors, len(counts))
    if named:
        refused = {counts[i].sku: text for i, text in named.items()}
        rest = [c for i, c in enumerate(counts) if i not in named]
        done, more = await _send(post, rest)
        return done, {**refused, **more}
    if len(counts) == 1:
        return 0, {counts[0].sku: detail}
    half = len(counts) // 2
    first, second = await _send(post, counts[:half]), await _send(post, counts[half:])
    return first[0] + second[0], {**first[1], **second[1]}


def _by_position(errors: list[SquareError], size: int) -> dict[int, str]:
    named: dict[int, list[str]] = {}
    for error in errors:
        index = error.change_index()
        if index is not None and 0 <= index < size:
            named.setdefault(index, []).append(str(error))
    return {i: "; ".join(texts) for i, texts in named.items()}
