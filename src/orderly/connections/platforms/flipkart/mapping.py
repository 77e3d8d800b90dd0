"""A Flipkart shipment read as a `ChannelOrder`, its order items the lines. Rupees become
paise; prices include GST and Flipkart reports no tax apart, so no line carries tax. The buyer
and address come from the shipment's shipping details."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.flipkart import shipment as fk
from orderly.connections.platforms.flipkart.shipment import ItemStatus, ShippedBy
from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)

Json = Mapping[str, Any]
CURRENCY = "INR"
COUNTRY = "IN"
COD = "COD"
PAID_ON_DELIVERY = {ItemStatus.DELIVERED, ItemStatus.COMPLETED}

HOW_SHIPPED = {
    ShippedBy.FLIPKART: "shipped by Flipkart (E-Kart): pack with Flipkart's label and invoice",
    ShippedBy.SELLER: "self-ship: send it with your own courier and give its tracking",
    ShippedBy.FLIPKART_WAREHOUSE: "fulfilled by Flipkart from its warehouse",
}


def paise(value: Any) -> int:
    """Rupees (a JSON number) in paise, rounded half up."""
    if value is None or value == "":
        return 0
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return 0
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_money(item: Json) -> tuple[int, int, int, int]:
    """(unit price, discount, shipping, total) in paise for the whole order item: the listed
    `sellingPrice` gives the unit price, `totalPrice` what the buyer paid with shipping, and
    what is missing between them is Flipkart's discount."""
    prices = item.get("priceComponents") or {}
    count = fk.units(item) or 1
    selling, shipping = paise(prices.get("sellingPrice")), paise(prices.get("shippingCharge"))
    if prices.get("totalPrice") is not None:
        total = paise(prices.get("totalPrice"))
    else:
        total = paise(prices.get("customerPrice")) + shipping
    goods = max(total - shipping, 0)
    unit = -(-max(selling, goods) // count)  # rounded up; the paise left over are discount
    return unit, unit * count - goods, shipping, total


def order_line(item: Json) -> ChannelOrderLine:
    unit, discount, _, _ = line_money(item)
    quantity = fk.units(item)
    # A quantity that is not a whole number cannot be counted: the line waits for a person.
    sku = str(item.get("sku") or "") or None
    return ChannelOrderLine(
        platform_line_id=str(item.get("orderItemId") or ""),
        sku=sku if quantity else None,
        quantity=quantity or 1,
        unit_price_minor=unit,
        discount_minor=discount,
        tax_minor=0,
        title=item.get("title") or None,
        product_id=item.get("fsn") or None,
        variant_id=item.get("listingId") or None,
        hs_code=str(item.get("hsn") or "") or None,
    )


def address(raw: Json | None) -> ChannelAddress | None:
    if not raw or not any(raw.get(k) for k in ("addressLine1", "city", "pinCode", "pincode")):
        return None
    name = " ".join(p for p in (raw.get("firstName"), raw.get("lastName")) if p)
    line2 = ", ".join(p for p in (raw.get("addressLine2"), raw.get("landmark")) if p)
    return ChannelAddress(
        country=COUNTRY,
        name=name or None,
        line1=raw.get("addressLine1") or None,
        line2=line2 or None,
        city=raw.get("city") or None,
        region=raw.get("state") or raw.get("stateName") or raw.get("stateCode") or None,
        postal_code=str(raw.get("pinCode") or raw.get("pincode") or "") or None,
        phone=raw.get("contactNumber") or None,
    )


def order_state(shipment: Json) -> PlatformOrderState:
    state = fk.status(shipment)
    if state is ItemStatus.CANCELLED:
        return PlatformOrderState.CANCELLED
    if state in fk.HANDED_OVER:
        return PlatformOrderState.COMPLETED
    return PlatformOrderState.OPEN


def payment_type(shipment: Json) -> str:
    return str(next((i.get("paymentType") for i in fk.items(shipment)), "") or "PREPAID")


def payment_status(shipment: Json) -> PlatformPaymentStatus:
    """Prepaid orders are paid to Flipkart; cash on delivery is paid when delivered. A
    cancelled shipment is never settled to the seller."""
    state = fk.status(shipment)
    if state is ItemStatus.CANCELLED:
        return PlatformPaymentStatus.VOIDED
    if payment_type(shipment).upper() == COD and state not in PAID_ON_DELIVERY:
        return PlatformPaymentStatus.PENDING
    return PlatformPaymentStatus.CAPTURED


def notes(shipment: Json) -> str:
    said = [f"Flipkart shipment {shipment.get('shipmentId')}", HOW_SHIPPED[fk.shipped_by(shipment)]]
    if shipment.get("hold"):
        said.append("on hold at Flipkart: it cannot be packed yet")
    after = fk.platform_time(shipment.get("dispatchAfterDate"))
    if after:
        said.append(f"dispatch after {after.isoformat()}")
    cancelled = [i for i in fk.items(shipment) if i.get("status") == ItemStatus.CANCELLED]
    if cancelled and fk.live_items(shipment):
        said.append(f"{len(cancelled)} item(s) cancelled on Flipkart")
    said.append("prices include GST")
    return "; ".join(said)


def channel_order(shipment: Json, details: Json | None = None) -> ChannelOrder:
    """`details` is the shipment's entry from the shipping-details call (buyer and address)."""
    details = details or {}
    lines_from = fk.live_items(shipment) or fk.items(shipment)
    money = [line_money(item) for item in lines_from]
    dates = [d for d in (fk.platform_time(i.get("orderDate")) for i in lines_from) if d]
    updated = fk.platform_time(shipment.get("updatedAt"))
    created = min(dates) if dates else updated
    buyer, delivery = details.get("buyerDetails") or {}, details.get("deliveryAddress") or {}
    name = " ".join(p for p in (buyer.get("firstName"), buyer.get("lastName")) if p)
    shipped_to = address(delivery)
    when = updated or created
    if when is None:
        raise PlatformRefused(f"flipkart shipment {shipment['shipmentId']} has no dates")
    return ChannelOrder(
        platform_order_id=str(shipment["shipmentId"]),
        number=fk.order_id(shipment) or str(shipment["shipmentId"]),
        currency=CURRENCY,
        created_at=created or when,
        updated_at=when,
        state=order_state(shipment),
        payment_status=payment_status(shipment),
        lines=tuple(order_line(item) for item in lines_from),
        customer_email=buyer.get("email") or delivery.get("email") or None,
        customer_name=name or (shipped_to.name if shipped_to else None),
        customer_phone=buyer.get("contactNumber") or delivery.get("contactNumber") or None,
        shipping_address=shipped_to,
        billing_address=address(details.get("billingAddress")),
        shipping_minor=sum(m[2] for m in money),
        total_minor=sum(m[3] for m in money),
        payment_method=payment_type(shipment).lower(),
        notes=notes(shipment),
        ship_by=fk.platform_time(shipment.get("dispatchByDate")),
        fulfilled_by_platform=fk.shipped_by(shipment) is ShippedBy.FLIPKART_WAREHOUSE,
    )
