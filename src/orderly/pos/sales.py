"""A sale at a store's counter: priced from the SKUs' list prices with the store's sales tax,
paid by its tenders, and handed over at once. The units leave the store's on-hand in the same
transaction (ledger `counter_sale`); units reserved there for other orders that nobody picked
yet may be sold, and those orders are sourced again. docs/pos.md."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels.domain import ChannelKind
from orderly.fulfillment import counter
from orderly.inventory.reservations import StockRequest
from orderly.inventory.shipments import sell_from_shelf
from orderly.kit.db import Transaction
from orderly.kit.errors import InvalidInput
from orderly.kit.money import MoneyError, from_minor, to_minor
from orderly.locations.domain import LocationKind
from orderly.order_flows.capture import capture_order
from orderly.orders import order_write
from orderly.orders import timeline as order_timeline
from orderly.orders.domain import DeliveryMethod, OrderStatus, PaymentStatus
from orderly.orders.errors import UnknownChannel
from orderly.orders.presenters import order_out
from orderly.orders.records import AllocationRecord, LineRecord, OrderRecord, PaymentRecord
from orderly.orders.repository import new_order_identity
from orderly.orders.schemas import CustomerIn, OrderIn, OrderLineIn, PaymentIn
from orderly.payments import service as payments
from orderly.payments.registry import DEFAULT_PROVIDER
from orderly.pos import repository as repo
from orderly.pos.errors import NoPrice, NotAStore, NotOnTheShelf, TendersDoNotAddUp
from orderly.pos.repository import CounterSku, Store
from orderly.pos.schemas import SaleIn, SaleOut, TakenFrom, TenderMethod
from orderly.tenancy.domain import Principal

SOLD_EVENT = "pos.sold"
# Every counter sale carries this tag: its return window starts when it was made.
COUNTER_TAG = "counter"
# An order paid at a store's counter and shipped to the customer from elsewhere.
ENDLESS_AISLE_TAG = "endless_aisle"


@dataclass(frozen=True, slots=True)
class _Line:
    line_no: int
    sku: CounterSku
    quantity: int
    unit_price_minor: int
    tax_minor: int
    discount_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity - self.discount_minor + self.tax_minor


async def sell(tx: Transaction, principal: Principal, sale: SaleIn) -> SaleOut:
    conn = tx.connection
    org_id = principal.org_id
    store = await _store(conn, org_id, sale.location)
    channel = await _channel(conn, org_id, sale.channel)
    skus = await repo.skus_scanned(conn, org_id, sorted({line.sku for line in sale.lines}))
    currency = _currency(sale, skus)
    lines = _priced(sale, skus, currency, store)
    total = sum(line.total_minor for line in lines)
    tenders, change = _tenders(sale, currency, total)
    if sale.ship_to is not None:
        return await _for_delivery(tx, principal, sale, store, lines, tenders, currency, change)
    taken, short = await _make_room(conn, principal, store, lines, strict=True)
    return await _record(
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


async def _for_delivery(
    tx: Transaction,
    principal: Principal,
    sale: SaleIn,
    store: Store,
    lines: list[_Line],
    tenders: list[tuple[TenderMethod, int, str | None]],
    currency: str,
    change: int,
) -> SaleOut:
    """Endless aisle: an ordinary order, paid at the counter, that routing sources from
    wherever the stock is and ships to the customer."""
    assert sale.ship_to is not None and sale.customer is not None
    payload = OrderIn(
        channel=sale.channel,
        currency=currency,
        customer=sale.customer,
        shipping_address=sale.ship_to,
        delivery_method=DeliveryMethod.SHIP,
        lines=[
            OrderLineIn(
                sku=x.sku.code,
                quantity=x.quantity,
                unit_price=from_minor(x.unit_price_minor, currency),
                tax=from_minor(x.tax_minor, currency),
            )
            for x in lines
        ],
        payments=[
            PaymentIn(
                status=PaymentStatus.CAPTURED,
                amount=from_minor(amount, currency),
                method=method.value,
                reference=reference,
            )
            for method, amount, reference in tenders
        ],
        tags=[ENDLESS_AISLE_TAG],
        notes=f"ordered at the counter of {store.code}",
    )
    captured = await capture_order(tx, principal, payload)
    await tx.send_queued()
    await order_timeline.append_events(
        tx.connection,
        principal.org_id,
        captured.order.id,
        [(SOLD_EVENT, {"till": sale.till, "location": store.code, "ship_to": True,
                       "change": from_minor(change, currency)})],
        principal.actor,
    )  # fmt: skip
    return SaleOut(
        order=captured.order,
        change=from_minor(change, currency),
        receipt=f"/v1/pos/sales/{captured.order.id}/receipt.pdf",
        taken_from=[],
    )


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
    store = await _store(conn, org_id, store_code)
    channel = await _channel(conn, org_id, channel_code, kinds=None)
    skus = await repo.skus_scanned(conn, org_id, sorted({line.sku for line in lines}))
    priced = []
    for n, line in enumerate(lines, start=1):
        sku = skus.get(line.sku)
        if sku is None:
            raise InvalidInput(f"no active SKU {line.sku!r}", field=f"lines.{n - 1}.sku")
        priced.append(
            _Line(n, sku, line.quantity, line.unit_price_minor, line.tax_minor, line.discount_minor)
        )
    total = sum(line.total_minor for line in priced)
    taken, short = await _make_room(conn, principal, store, priced, strict=False)
    method = _method(payment_method)
    return await _record(
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


async def _record(
    tx: Transaction,
    principal: Principal,
    *,
    store: Store,
    channel: dict[str, Any],
    lines: list[_Line],
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
    leaving = _on_the_shelf(lines, short)
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


def _on_the_shelf(lines: list[_Line], short: dict[str, int]) -> dict[int, int]:
    """Units per SKU that leave the shelf: all of them, less what the store's count lacked."""
    leaving: dict[int, int] = defaultdict(int)
    codes = {}
    for line in lines:
        leaving[line.sku.id] += line.quantity
        codes[line.sku.id] = line.sku.code
    return {k: v - short.get(codes[k], 0) for k, v in leaving.items() if v > short.get(codes[k], 0)}


async def _store(conn: AsyncConnection, org_id: int, code: str) -> Store:
    store = await repo.store(conn, org_id, code)
    if store is None or not store.active or store.kind != LocationKind.STORE.value:
        raise NotAStore(f"no active store {code!r}", field="location")
    return store


async def _channel(
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


def _currency(sale: SaleIn, skus: dict[str, CounterSku]) -> str:
    for n, line in enumerate(sale.lines):
        if line.sku not in skus:
            raise InvalidInput(
                f"no active SKU with code or GTIN {line.sku!r}", field=f"lines.{n}.sku"
            )
    if sale.currency is not None:
        return sale.currency
    for line in sale.lines:
        sku = skus.get(line.sku)
        if sku is not None and sku.list_price_currency is not None:
            return sku.list_price_currency
    raise NoPrice("give the sale's currency, or SKUs with list prices", field="currency")


def _priced(sale: SaleIn, skus: dict[str, CounterSku], currency: str, store: Store) -> list[_Line]:
    rate = Decimal(store.sales_tax["rate"]) if store.sales_tax else Decimal(0)
    lines = []
    for n, line in enumerate(sale.lines, start=1):
        field = f"lines.{n - 1}"
        sku = skus.get(line.sku)
        if sku is None:
            raise InvalidInput(
                f"no active SKU with code or GTIN {line.sku!r}", field=f"{field}.sku"
            )
        if line.unit_price is not None:
            try:
                unit = to_minor(line.unit_price, currency)
            except MoneyError as exc:
                raise InvalidInput(str(exc), field=f"{field}.unit_price") from None
        elif sku.list_price_minor is not None and sku.list_price_currency == currency:
            unit = sku.list_price_minor
        else:
            raise NoPrice(
                f"{sku.code} has no list price in {currency}: give its unit_price",
                field=f"{field}.unit_price",
            )
        net = unit * line.quantity
        tax = int((Decimal(net) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        lines.append(_Line(n, sku, line.quantity, unit, tax))
    return lines


def _tenders(
    sale: SaleIn, currency: str, total: int
) -> tuple[list[tuple[TenderMethod, int, str | None]], int]:
    """Each tender's method, amount and reference, and the change given back in cash."""
    tenders = []
    change = 0
    for n, tender in enumerate(sale.tenders):
        field = f"tenders.{n}"
        try:
            amount = to_minor(tender.amount, currency)
            tendered = to_minor(tender.tendered, currency) if tender.tendered else amount
        except MoneyError as exc:
            raise InvalidInput(str(exc), field=f"{field}.amount") from None
        if tendered < amount:
            raise InvalidInput("less cash was tendered than its amount", field=f"{field}.tendered")
        if tender.method is TenderMethod.STORE_CREDIT and sale.customer is None:
            raise InvalidInput(
                "store credit is drawn from a customer's balance: give the customer",
                field=f"{field}.method",
            )
        change += tendered - amount
        tenders.append((tender.method, amount, tender.reference))
    paid = sum(amount for _, amount, _ in tenders)
    if paid != total:
        raise TendersDoNotAddUp(
            f"the tenders add up to {from_minor(paid, currency)}, the sale to "
            f"{from_minor(total, currency)} {currency}",
            field="tenders",
            extra={"total": from_minor(total, currency)},
        )
    return tenders, change


async def _make_room(
    conn: AsyncConnection,
    principal: Principal,
    store: Store,
    lines: list[_Line],
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
