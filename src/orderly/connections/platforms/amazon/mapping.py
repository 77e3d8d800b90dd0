"""An Amazon order (Orders API v0) and its order items read as a `ChannelOrder`. Amazon's
`ItemPrice` is the line's price for its whole quantity, promotions and taxes come per item with
the tax on each discount beside it, and shipping is charged per item; money is decimal strings
in the order's currency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.amazon.cursor import amazon_time
from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)
from orderly.kit.money import MoneyError, currency_exponent

Json = Mapping[str, Any]
NO_CURRENCY = "XXX"  # ISO 4217's "no currency": a cancelled order Amazon gives no money for


class OrderStatus(StrEnum):
    PENDING_AVAILABILITY = "PendingAvailability"
    PENDING = "Pending"
    UNSHIPPED = "Unshipped"
    PARTIALLY_SHIPPED = "PartiallyShipped"
    SHIPPED = "Shipped"
    INVOICE_UNCONFIRMED = "InvoiceUnconfirmed"
    CANCELED = "Canceled"
    UNFULFILLABLE = "Unfulfillable"


# Orders Orderly takes: paid for (Amazon has authorized the payment) or cancelled. Pending ones
# are not paid yet and carry no buyer or address; they come in once Unshipped. Unfulfillable
# applies to Multi-Channel Fulfillment orders only, which are not sales on Amazon.
TAKEN = (
    OrderStatus.UNSHIPPED,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.INVOICE_UNCONFIRMED,
    OrderStatus.CANCELED,
)
_STATE = {
    OrderStatus.CANCELED: PlatformOrderState.CANCELLED,
    OrderStatus.SHIPPED: PlatformOrderState.COMPLETED,
    OrderStatus.INVOICE_UNCONFIRMED: PlatformOrderState.COMPLETED,
}
_PAYMENT = {
    OrderStatus.UNSHIPPED: PlatformPaymentStatus.AUTHORIZED,
    OrderStatus.PARTIALLY_SHIPPED: PlatformPaymentStatus.AUTHORIZED,
    OrderStatus.SHIPPED: PlatformPaymentStatus.CAPTURED,
    OrderStatus.INVOICE_UNCONFIRMED: PlatformPaymentStatus.CAPTURED,
    OrderStatus.CANCELED: PlatformPaymentStatus.VOIDED,
}
FULFILLED_BY_AMAZON = "AFN"


def is_taken(order: Json) -> bool:
    return order.get("OrderStatus") in TAKEN


def needs_items(order: Json) -> bool:
    """A cancelled order is read without its items: only its cancellation matters."""
    return order.get("OrderStatus") != OrderStatus.CANCELED


def currency_of(order: Json, items: Sequence[Json]) -> str:
    money = [order.get("OrderTotal")] + [item.get("ItemPrice") for item in items]
    for value in money:
        if isinstance(value, Mapping) and value.get("CurrencyCode"):
            return str(value["CurrencyCode"]).upper()
    if not items:
        return NO_CURRENCY
    raise PlatformRefused(f"amazon order {order.get('AmazonOrderId')} names no currency")


def minor(value: Json | None, currency: str) -> int:
    """Amazon's `{CurrencyCode, Amount}` in minor units of the order's currency."""
    if not value or value.get("Amount") in (None, ""):
        return 0
    if value.get("CurrencyCode") and str(value["CurrencyCode"]).upper() != currency:
        raise PlatformRefused(f"amazon money in {value['CurrencyCode']} on a {currency} order")
    try:
        amount = Decimal(str(value["Amount"]))
        exponent = currency_exponent(currency)
    except (InvalidOperation, MoneyError) as error:
        raise PlatformRefused(f"amazon money {dict(value)} unreadable: {error}") from None
    return int(amount.scaleb(exponent).to_integral_value(ROUND_HALF_UP))


def order_line(item: Json, currency: str) -> ChannelOrderLine:
    """`ItemPrice` covers the whole quantity: the unit price is rounded up and the cents left
    over go to the discount, so price times quantity less discount is what Amazon charged."""
    quantity = int(item.get("QuantityOrdered") or 0)
    price = minor(item.get("ItemPrice"), currency)
    count = max(quantity, 1)
    unit = -(-price // count)
    promotion = minor(item.get("PromotionDiscount"), currency)
    tax = minor(item.get("ItemTax"), currency) - minor(item.get("PromotionDiscountTax"), currency)
    sku = str(item.get("SellerSKU") or "") or None
    return ChannelOrderLine(
        platform_line_id=str(item["OrderItemId"]),
        sku=sku,
        quantity=quantity,
        unit_price_minor=unit,
        discount_minor=promotion + unit * count - price,
        tax_minor=max(tax, 0),
        title=item.get("Title") or None,
        product_id=item.get("ASIN") or None,
    )


def address(raw: Json | None) -> ChannelAddress | None:
    if not raw or not raw.get("CountryCode"):
        return None
    line2 = ", ".join(p for p in (raw.get("AddressLine2"), raw.get("AddressLine3")) if p)
    return ChannelAddress(
        country=str(raw["CountryCode"]).upper(),
        name=raw.get("Name") or None,
        company=raw.get("CompanyName") or None,
        line1=raw.get("AddressLine1") or None,
        line2=line2 or None,
        city=raw.get("City") or None,
        region=raw.get("StateOrRegion") or None,
        postal_code=raw.get("PostalCode") or None,
        phone=raw.get("Phone") or None,
    )


def notes(items: Sequence[Json]) -> str | None:
    """A buyer's request to cancel, which the seller answers in Seller Central."""
    asked = [
        item.get("BuyerRequestedCancel") or {}
        for item in items
        if str((item.get("BuyerRequestedCancel") or {}).get("IsBuyerRequestedCancel")).lower()
        == "true"
    ]
    if not asked:
        return None
    reasons = sorted({str(a.get("BuyerCancelReason") or "no reason given") for a in asked})
    return "Buyer asked Amazon to cancel: " + "; ".join(reasons)


def _status(order: Json) -> OrderStatus:
    try:
        return OrderStatus(str(order.get("OrderStatus")))
    except ValueError:
        raise PlatformRefused(
            f"amazon order {order.get('AmazonOrderId')} has an unknown status "
            f"{order.get('OrderStatus')!r}"
        ) from None


def channel_order(order: Json, items: Sequence[Json]) -> ChannelOrder:
    status = _status(order)
    currency = currency_of(order, items)
    lines = [item for item in items if int(item.get("QuantityOrdered") or 0) > 0]
    buyer = order.get("BuyerInfo") or {}
    shipping_to = address(order.get("ShippingAddress"))

    def total(key: str, less: str) -> int:
        return sum(minor(i.get(key), currency) - minor(i.get(less), currency) for i in lines)

    return ChannelOrder(
        platform_order_id=str(order["AmazonOrderId"]),
        number=str(order["AmazonOrderId"]),
        currency=currency,
        created_at=amazon_time(order["PurchaseDate"]),
        updated_at=amazon_time(order["LastUpdateDate"]),
        state=_STATE.get(status, PlatformOrderState.OPEN),
        payment_status=_PAYMENT.get(status, PlatformPaymentStatus.PENDING),
        lines=tuple(order_line(item, currency) for item in lines),
        customer_email=buyer.get("BuyerEmail") or None,
        customer_name=buyer.get("BuyerName") or (shipping_to.name if shipping_to else None),
        customer_phone=shipping_to.phone if shipping_to else None,
        shipping_address=shipping_to,
        shipping_minor=total("ShippingPrice", "ShippingDiscount"),
        shipping_tax_minor=max(total("ShippingTax", "ShippingDiscountTax"), 0),
        total_minor=minor(order.get("OrderTotal"), currency) if currency != NO_CURRENCY else 0,
        payment_method=str(order.get("PaymentMethod") or "").lower() or None,
        notes=notes(items),
        ship_by=amazon_time(order["LatestShipDate"]) if order.get("LatestShipDate") else None,
        fulfilled_by_platform=order.get("FulfillmentChannel") == FULFILLED_BY_AMAZON,
    )
