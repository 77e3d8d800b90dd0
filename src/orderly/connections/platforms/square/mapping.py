"""Square's order read as a `ChannelOrder`. Money is already in minor units (`{amount,
currency}`); quantities are decimal strings; line items name an item variation, whose SKU the
catalog gives. Each line's unit price is derived from Square's own line totals, so that price
times quantity, less discounts, plus tax equals what Square charged whether its taxes were
added on top or included in the price."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.square.catalog import Variation
from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)

Json = Mapping[str, Any]


class OrderState(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    DRAFT = "DRAFT"


class FulfillmentType(StrEnum):
    PICKUP = "PICKUP"
    SHIPMENT = "SHIPMENT"
    DELIVERY = "DELIVERY"


class FulfillmentState(StrEnum):
    PROPOSED = "PROPOSED"
    RESERVED = "RESERVED"
    PREPARED = "PREPARED"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"


FINISHED_FULFILLMENTS = {
    FulfillmentState.COMPLETED,
    FulfillmentState.CANCELED,
    FulfillmentState.FAILED,
}
# Line types that sell a catalog product; custom amounts and gift cards move no stock.
PRODUCT_LINE = "ITEM"

_P = PlatformPaymentStatus
_CARD_STATUS: dict[str, PlatformPaymentStatus] = {
    "AUTHORIZED": _P.AUTHORIZED,
    "CAPTURED": _P.CAPTURED,
    "VOIDED": _P.VOIDED,
    "FAILED": _P.FAILED,
}
# How strongly a tender's status speaks for the whole order: the weakest one wins.
_RANK = [_P.FAILED, _P.VOIDED, _P.PENDING, _P.AUTHORIZED, _P.CAPTURED]
_REFUND_DONE = "APPROVED"


def platform_time(value: str) -> datetime:
    """An RFC 3339 time as Square writes it ("2016-09-04T23:59:33.123Z"), in UTC."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def money(value: Json | None) -> int:
    return int((value or {}).get("amount") or 0)


def currency_of(order: Json) -> str:
    for key in ("total_money", "net_amount_due_money"):
        currency = (order.get(key) or {}).get("currency")
        if currency:
            return str(currency).upper()
    for item in order.get("line_items") or ():
        currency = (item.get("base_price_money") or {}).get("currency")
        if currency:
            return str(currency).upper()
    raise PlatformRefused(f"square order {order.get('id')} names no currency")


def units(item: Json) -> int | None:
    """The whole units a line sells; None for a measured quantity ("2.25" lb of coffee)."""
    try:
        quantity = Decimal(str(item.get("quantity")))
    except InvalidOperation:
        return None
    if not quantity.is_finite() or quantity <= 0 or quantity != quantity.to_integral_value():
        return None
    return int(quantity)


def fulfillments(order: Json) -> list[Json]:
    return list(order.get("fulfillments") or [])


def shipment(order: Json) -> Json | None:
    """The order's shipment fulfillment: the open one first, else the latest."""
    shipments = [f for f in fulfillments(order) if f.get("type") == FulfillmentType.SHIPMENT]
    open_ones = [f for f in shipments if f.get("state") not in FINISHED_FULFILLMENTS]
    candidates = open_ones or shipments[-1:]
    return candidates[0] if candidates else None


def is_sale(order: Json) -> bool:
    """A placed sale: not a draft, not a return alone, and paid or closed. An open order with
    no tender is a cart still being paid for; it comes in once paid."""
    if order.get("state") == OrderState.DRAFT:
        return False
    if not product_items(order):
        return False
    return order.get("state") != OrderState.OPEN or bool(order.get("tenders"))


def product_items(order: Json) -> list[Json]:
    return [
        item
        for item in order.get("line_items") or ()
        if item.get("item_type", PRODUCT_LINE) == PRODUCT_LINE
    ]


def order_state(order: Json) -> PlatformOrderState:
    """Square's COMPLETED means paid in full; ours means nothing is left to hand over. An order
    with a fulfillment still under way is open, whatever its payment."""
    if order.get("state") == OrderState.CANCELED:
        return PlatformOrderState.CANCELLED
    states = [f.get("state") for f in fulfillments(order)]
    if any(state not in FINISHED_FULFILLMENTS for state in states):
        return PlatformOrderState.OPEN
    if order.get("state") == OrderState.COMPLETED:
        return PlatformOrderState.COMPLETED
    if states and all(state == FulfillmentState.COMPLETED for state in states):
        return PlatformOrderState.COMPLETED
    return PlatformOrderState.OPEN


def refunded(order: Json) -> int:
    return sum(
        money(r.get("amount_money"))
        for r in order.get("refunds") or ()
        if r.get("status") == _REFUND_DONE
    )


def payment_status(order: Json) -> PlatformPaymentStatus:
    total, back = money(order.get("total_money")), refunded(order)
    if back and back >= total:
        return _P.REFUNDED
    if back:
        return _P.PARTIALLY_REFUNDED
    tenders = order.get("tenders") or []
    if not tenders:
        if order.get("state") == OrderState.CANCELED:
            return _P.VOIDED
        if order.get("state") == OrderState.COMPLETED or total == 0:
            return _P.CAPTURED
        return _P.PENDING
    statuses = [
        _CARD_STATUS.get(str((t.get("card_details") or {}).get("status")), _P.CAPTURED)
        if t.get("card_details")
        else _P.CAPTURED
        for t in tenders
    ]
    return min(statuses, key=_RANK.index)


def order_line(item: Json, variation: Variation | None) -> ChannelOrderLine:
    """A measured line (Orderly counts whole units) comes as one unit with no SKU, named with
    its measure, so that its order waits for a person instead of stopping the pull."""
    quantity = units(item)
    total = money(item.get("total_money"))
    discount = money(item.get("total_discount_money"))
    tax = money(item.get("total_tax_money"))
    # What the units cost before discounts and added tax; an inclusive tax is taken out of it.
    gross = total + discount - tax
    count = quantity or 1
    unit = -(-gross // count)  # rounded up; the cents left over go to the discount
    catalog_id = item.get("catalog_object_id")
    name = " ".join(p for p in (item.get("name"), item.get("variation_name")) if p)
    if quantity is None:
        name = f"{name} ({item.get('quantity')} measured)"
    return ChannelOrderLine(
        platform_line_id=str(item["uid"]),
        sku=variation.sku if variation and quantity is not None else None,
        quantity=count,
        unit_price_minor=unit,
        discount_minor=discount + unit * count - gross,
        tax_minor=tax,
        title=name or None,
        product_id=variation.item_id if variation else None,
        variant_id=str(catalog_id) if catalog_id else None,
    )


def address(raw: Json | None, *, name: str | None, phone: str | None) -> ChannelAddress | None:
    if not raw or not raw.get("country"):
        return None
    named = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    line2 = ", ".join(p for p in (raw.get("address_line_2"), raw.get("address_line_3")) if p)
    return ChannelAddress(
        country=str(raw["country"]).upper(),
        name=named or name,
        line1=raw.get("address_line_1") or None,
        line2=line2 or None,
        city=raw.get("locality") or None,
        region=raw.get("administrative_district_level_1") or None,
        postal_code=raw.get("postal_code") or None,
        phone=phone,
    )


def details(fulfillment: Json) -> Json:
    for key in ("shipment_details", "pickup_details", "delivery_details"):
        if fulfillment.get(key):
            return dict(fulfillment[key])
    return {}


def recipient(order: Json) -> Json:
    """The person the order goes to: the shipment's recipient, else any fulfillment's."""
    for fulfillment in (shipment(order), *fulfillments(order)):
        if fulfillment and details(fulfillment).get("recipient"):
            return dict(details(fulfillment)["recipient"])
    return {}


def notes(order: Json) -> str | None:
    found = shipment(order)
    note = ((found or {}).get("shipment_details") or {}).get("shipping_note")
    for fulfillment in fulfillments(order):
        note = note or (fulfillment.get("pickup_details") or {}).get("note")
    return note or None


def channel_order(order: Json, variations: Mapping[str, Variation]) -> ChannelOrder:
    currency = currency_of(order)
    person = recipient(order)
    name, phone = person.get("display_name") or None, person.get("phone_number") or None
    shipped_to = shipment(order)
    charges = order.get("service_charges") or ()
    tenders = order.get("tenders") or []
    first = tenders[0] if tenders else {}
    return ChannelOrder(
        platform_order_id=str(order["id"]),
        number=str(order["id"]),
        currency=currency,
        created_at=platform_time(order["created_at"]),
        updated_at=platform_time(order["updated_at"]),
        state=order_state(order),
        payment_status=payment_status(order),
        lines=tuple(
            order_line(item, variations.get(str(item.get("catalog_object_id") or "")))
            for item in product_items(order)
        ),
        customer_email=person.get("email_address") or None,
        customer_name=name,
        customer_phone=phone,
        shipping_address=address(
            (details(shipped_to).get("recipient") or {}).get("address") if shipped_to else None,
            name=name,
            phone=phone,
        ),
        # Square has no shipping field: shipping and delivery fees are service charges.
        shipping_minor=sum(
            money(c.get("total_money")) - money(c.get("total_tax_money")) for c in charges
        ),
        shipping_tax_minor=sum(money(c.get("total_tax_money")) for c in charges),
        # Order-scoped discounts are already spread over the lines by Square.
        order_discount_minor=0,
        total_minor=money(order.get("total_money")),
        refunded_minor=refunded(order),
        payment_method=",".join(sorted({str(t.get("type")).lower() for t in tenders})) or None,
        payment_reference=str(first.get("payment_id") or first.get("id") or "") or None,
        notes=notes(order),
        handed_over_at=counter_location(order),
    )


def counter_location(order: Json) -> str | None:
    """Where a sale at a Square register handed the goods over: a completed order with no
    fulfillment is one, at its location."""
    if order.get("state") == OrderState.COMPLETED and not fulfillments(order):
        return str(order.get("location_id") or "") or None
    return None
