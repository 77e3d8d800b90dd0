"""Sales another point of sale made and handed over at one of our stores (a Square register),
recorded as counter sales with their own prices, tax and payment. docs/pos.md, "Square"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Transaction
from orderly.kit.errors import InvalidInput
from orderly.locations.domain import LocationKind
from orderly.orders.schemas import CustomerIn
from orderly.pos import repository as repo
from orderly.pos.domain import PricedLine
from orderly.pos.sales import pos_channel, record_sale, store_at
from orderly.pos.schemas import SaleOut
from orderly.pos.shelf import make_room
from orderly.tenancy.domain import Principal


@dataclass(frozen=True, slots=True)
class HandedOverLine:
    sku: str
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_minor: int


async def record_handover(
    tx: Transaction,
    principal: Principal,
    *,
    store_code: str,
    channel_code: str,
    external_id: str,
    currency: str,
    lines: list[HandedOverLine],
    payment_method: str | None,
    payment_reference: str | None,
    customer: CustomerIn | None,
) -> SaleOut:
    """A sale another point of sale made and handed over at one of our stores (a Square
    register): recorded with its own prices, tax and payment, once per `external_id`. The sale
    happened, so it is never refused for want of stock: what the store's count lacks is on the
    timeline (`pos.stock_short`) for a person to count again."""
    conn = tx.connection
    org_id = principal.org_id
    store = await store_at(conn, org_id, store_code)
    channel = await pos_channel(conn, org_id, channel_code, kinds=None)
    skus = await repo.skus_scanned(conn, org_id, sorted({line.sku for line in lines}))
    priced = []
    for n, line in enumerate(lines, start=1):
        sku = skus.get(line.sku)
        if sku is None:
            raise InvalidInput(f"no active SKU {line.sku!r}", field=f"lines.{n - 1}.sku")
        priced.append(
            PricedLine(
                n, sku, line.quantity, line.unit_price_minor, line.tax_minor, line.discount_minor
            )
        )
    total = sum(line.total_minor for line in priced)
    taken, short = await make_room(conn, principal, store, priced, strict=False)
    method = _method(payment_method)
    return await record_sale(
        tx,
        principal,
        store=store,
        channel=channel,
        lines=priced,
        tenders=[(method, total, payment_reference)],
        currency=currency,
        customer=customer,
        sold={"external_id": external_id},
        taken=taken,
        short=short,
        change=0,
        external_id=external_id,
    )


async def stores_among(conn: AsyncConnection, org_id: int, codes: list[str]) -> list[str]:
    """The active stores among these location codes, in their order."""
    found = [await repo.store(conn, org_id, code) for code in codes]
    return [s.code for s in found if s and s.active and s.kind == LocationKind.STORE.value]


def _method(method: str | None) -> str:
    return method or "platform"
