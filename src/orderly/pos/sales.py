"""A sale at a store's counter: priced from the SKUs' list prices with the store's sales tax,
paid by its tenders, and handed over at once. The units leave the store's on-hand in the same
transaction (ledger `counter_sale`); units reserved there for other orders that nobody picked
yet may be sold, and those orders are sourced again. docs/pos.md."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels.domain import ChannelKind
from orderly.fulfillment import counter
from orderly.inventory.reservations import StockRequest
from orderly.inventory.shipments import sell_from_shelf
from orderly.kit.db import Transaction
from orderly.kit.money import from_minor
from orderly.locations.domain import LocationKind
from orderly.orders import order_write
from orderly.orders.domain import DeliveryMethod, OrderStatus, PaymentStatus
from orderly.orders.errors import UnknownChannel
from orderly.orders.presenters import order_out
from orderly.orders.records import AllocationRecord, LineRecord, OrderRecord, PaymentRecord
from orderly.orders.repository import new_order_identity
from orderly.orders.schemas import CustomerIn
from orderly.payments import service as payments
from orderly.payments.registry import DEFAULT_PROVIDER
from orderly.pos import repository as repo
from orderly.pos.domain import (
    COUNTER_TAG,
    SOLD_EVENT,
    PricedLine,
    Store,
    priced_lines,
    sale_currency,
    tenders_of,
)
from orderly.pos.endless_aisle import for_delivery
from orderly.pos.errors import NotAStore
from orderly.pos.schemas import SaleIn, SaleOut, TakenFrom, TenderMethod
from orderly.pos.shelf import make_room, on_the_shelf
from orderly.tenancy.domain import Principal


async def sell(tx: Transaction, principal: Principal, sale: SaleIn) -> SaleOut:
    conn = tx.connection
    org_id = principal.org_id
    store = await store_at(conn, org_id, sale.location)
    channel = await pos_channel(conn, org_id, sale.channel)
    skus = await repo.skus_scanned(conn, org_id, sorted({line.sku for line in sale.lines}))
    currency = sale_currency(sale, skus)
    lines = priced_lines(sale, skus, currency, store)
    total = sum(line.total_minor for line in lines)
    tenders, change = tenders_of(sale, currency, total)
    if sale.ship_to is not None:
        return await for_delivery(tx, principal, sale, store, lines, tenders, currency, change)
    taken, short = await make_room(conn, principal, store, lines, strict=True)
    return await record_sale(
        tx,
        principal,
        store=store,
        channel=channel,
        lines=lines,
        tenders=tenders,
        currency=currency,
        customer=sale.customer,
        sold={"till": sale.till, "change": from_minor(change, currency)},
        taken=taken,
        short=short,
        change=change,
    )


async def record_sale(
    tx: Transaction,
    principal: Principal,
    *,
    store: Store,
    channel: dict[str, Any],
    lines: list[PricedLine],
    tenders: list[tuple[Any, int, str | None]],
    currency: str,
    customer: CustomerIn | None,
    sold: dict[str, Any],
    taken: list[counter.GivenUp],
    short: dict[str, int],
    change: int,
    external_id: str | None = None,
) -> SaleOut:
    """Write the handed-over order with its payments and timeline, and take its units off the
    store's shelf (what `_make_room` found there)."""
    conn = tx.connection
    org_id = principal.org_id
    order_id, number, now = await new_order_identity(conn, org_id)
    leaving = on_the_shelf(lines, short)
    await sell_from_shelf(
        conn,
        org_id=org_id,
        requests=[StockRequest(sku_id, store.id, q) for sku_id, q in leaving.items()],
        order_id=order_id,
        reference=f"order:{order_id}",
        actor=principal.actor,
    )
    provider = str(channel["settings"].get("payment_provider") or DEFAULT_PROVIDER)
    total = sum(x.total_minor for x in lines)
    record = OrderRecord(
        id=order_id,
        org_id=org_id,
        number=number,
        channel_id=channel["id"],
        channel_code=channel["code"],
        external_id=external_id,
        status=OrderStatus.DELIVERED.value,
        currency=currency,
        customer_email=customer.email if customer else None,
        customer_name=customer.name if customer else None,
        customer_phone=customer.phone if customer else None,
        billing_address=None,
        shipping_address=None,
        delivery_method=DeliveryMethod.PICKUP.value,
        pickup_location_id=store.id,
        pickup_code=store.code,
        subtotal_minor=sum(x.unit_price_minor * x.quantity for x in lines),
        discount_minor=sum(x.discount_minor for x in lines),
        tax_minor=sum(x.tax_minor for x in lines),
        shipping_minor=0,
        total_minor=total,
        payment_status=PaymentStatus.CAPTURED.value,
        payment_amount_minor=total,
        payment_method=str(getattr(tenders[0][0], "value", tenders[0][0])),
        payment_reference=tenders[0][2],
        hold_reasons=[],
        notes=None,
        tags=[COUNTER_TAG],
        requested_delivery_date=None,
        created_at=now,
        updated_at=now,
        lines=tuple(
            LineRecord(
                line_no=x.line_no,
                sku=x.sku.code,
                sku_id=x.sku.id,
                quantity=x.quantity,
                unit_price_minor=x.unit_price_minor,
                discount_minor=x.discount_minor,
                tax_minor=x.tax_minor,
                total_minor=x.total_minor,
            )
            for x in lines
        ),
        allocations=tuple(
            AllocationRecord(x.line_no, x.sku.id, store.id, store.code, x.quantity, "shipped")
            for x in lines
        ),
        payments=tuple(
            PaymentRecord(
                position=n,
                method=str(getattr(method, "value", method)),
                provider=(
                    payments.STORE_CREDIT_PROVIDER
                    if method is TenderMethod.STORE_CREDIT
                    else provider
                ),
                account_id=None,
                reference=reference,
                currency=currency,
                amount_minor=amount,
                authorized_minor=amount,
                captured_minor=amount,
                refunded_minor=0,
                status=PaymentStatus.CAPTURED.value,
            )
            for n, (method, amount, reference) in enumerate(tenders, start=1)
        ),
    )
    events: list[tuple[str, dict[str, Any]]] = [
        ("order.captured", {"channel": channel["code"], "lines": len(lines)}),
        (
            SOLD_EVENT,
            {**sold, "location": store.code, "taken_from": [asdict(t) for t in taken]},
        ),
        ("order.delivered", {"handed_over": True, "location": store.code}),
    ]
    if short:
        events.append(("pos.stock_short", {"location": store.code, "units": short}))
    order_write.write_order(tx, record, events=events, actor=principal.actor, handed_over=True)
    for method, amount, _ in tenders:
        if method is TenderMethod.STORE_CREDIT and amount > 0:
            payments.spend_store_credit(
                tx, principal, order_id=order_id, currency=currency, amount_minor=amount
            )
    return SaleOut(
        order=order_out(record),
        change=from_minor(change, currency),
        receipt=f"/v1/pos/sales/{order_id}/receipt.pdf",
        taken_from=[TakenFrom(**asdict(t)) for t in taken],
    )


async def store_at(conn: AsyncConnection, org_id: int, code: str) -> Store:
    store = await repo.store(conn, org_id, code)
    if store is None or not store.active or store.kind != LocationKind.STORE.value:
        raise NotAStore(f"no active store {code!r}", field="location")
    return store


async def pos_channel(
    conn: AsyncConnection,
    org_id: int,
    code: str,
    *,
    kinds: tuple[str, ...] | None = (ChannelKind.POS.value,),
) -> dict[str, Any]:
    channel = await repo.channel(conn, org_id, code)
    if channel is None or not channel["active"] or (kinds and channel["kind"] not in kinds):
        raise UnknownChannel(f"no active point-of-sale channel {code!r}", field="channel")
    return channel
