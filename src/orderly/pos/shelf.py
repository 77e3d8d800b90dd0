"""A counter sale's units on the store's shelf: what the shelf holds, the units reserved there
for other orders that nobody picked yet (their orders give them up and are sourced again), and
what leaves."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import counter
from orderly.pos import repository as repo
from orderly.pos.domain import PricedLine, Store
from orderly.pos.errors import NotOnTheShelf
from orderly.tenancy.domain import Principal


async def make_room(
    conn: AsyncConnection,
    principal: Principal,
    store: Store,
    lines: list[PricedLine],
    *,
    strict: bool,
) -> tuple[list[counter.GivenUp], dict[str, int]]:
    """Check the shelf holds the units, and free those reserved for other orders that nobody
    picked yet. `strict`: 409 when the store does not have them; otherwise what it lacks is
    returned, by SKU code (a sale made elsewhere that already happened)."""
    wanted: dict[int, int] = defaultdict(int)
    codes = {}
    for line in lines:
        wanted[line.sku.id] += line.quantity
        codes[line.sku.id] = line.sku.code
    shelf = await repo.shelf(conn, principal.org_id, store.id, sorted(wanted))
    taken: list[counter.GivenUp] = []
    lacking: dict[str, int] = {}
    for sku_id, quantity in sorted(wanted.items()):
        on_hand, reserved = shelf.get(sku_id, (0, 0))
        if on_hand < quantity and strict:
            raise NotOnTheShelf(
                f"{store.code} holds {max(on_hand, 0)} of {codes[sku_id]}", field="lines"
            )
        need = min(quantity, max(on_hand, 0)) - (on_hand - reserved)
        free = (
            await counter.unpicked_units(conn, principal.org_id, store.id, sku_id)
            if need > 0
            else 0
        )
        if need > free and strict:
            raise NotOnTheShelf(
                f"the units of {codes[sku_id]} at {store.code} are picked for other orders",
                field="lines",
            )
        if need > 0 and free > 0:
            taken += await counter.give_up_for_counter_sale(
                conn,
                principal,
                location_id=store.id,
                sku_id=sku_id,
                units=min(need, free),
                note=f"sold at the counter of {store.code}",
            )
        sellable = max(on_hand, 0) - reserved + min(max(need, 0), free)
        if sellable < quantity:
            lacking[codes[sku_id]] = quantity - max(sellable, 0)
    return taken, lacking


def on_the_shelf(lines: list[PricedLine], short: dict[str, int]) -> dict[int, int]:
    """Units per SKU that leave the shelf: all of them, less what the store's count lacked."""
    leaving: dict[int, int] = defaultdict(int)
    codes = {}
    for line in lines:
        leaving[line.sku.id] += line.quantity
        codes[line.sku.id] = line.sku.code
    return {k: v - short.get(codes[k], 0) for k, v in leaving.items() if v > short.get(codes[k], 0)}
