"""A WooCommerce order (REST v3 JSON, as the API and the webhooks send it) in Orderly's
neutral shape. Pure: money from decimal strings to minor units, never through floats."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)
from orderly.kit.money import currency_exponent, to_minor

CANCELLED_STATUSES = frozenset({"cancelled", "refunded", "trash"})


def minor(amount: Any, currency: str) -> int:
    """Minor units of a WooCommerce amount. Line taxes may carry more decimals than the currency
    has (the API rounds to `dp`, 2 by default, even for JPY): they are rounded half up."""
    if amount in (None, ""):
        return 0
    value = Decimal(str(amount))
    step = Decimal(1).scaleb(-currency_exponent(currency))
    return to_minor(value.quantize(step, rounding=ROUND_HALF_UP), currency)


def gmt(value: str | None) -> datetime | None:
    """WooCommerce's `*_gmt` fields: ISO 8601 without an offset, in UTC."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def order_state(status: str) -> PlatformOrderState:
    if status == "completed":
        return PlatformOrderState.COMPLETED
    if status in CANCELLED_STATUSES:
        return PlatformOrderState.CANCELLED
    return PlatformOrderState.OPEN


def payment_status(order: dict[str, Any], *, total: int, refunded: int) -> PlatformPaymentStatus:
    """Paid is `date_paid_gmt` (a cash-on-delivery order is processing before it is paid);
    refunds come from `refunds[]` or the refunded status."""
    status = order.get("status", "")
    if status == "refunded" or (refunded and refunded >= total):
        return PlatformPaymentStatus.REFUNDED
    if refunded:
        return PlatformPaymentStatus.PARTIALLY_REFUNDED
    if order.get("date_paid_gmt"):
        return PlatformPaymentStatus.CAPTURED
    if status == "failed":
        return PlatformPaymentStatus.FAILED
    if status in CANCELLED_STATUSES:
        return PlatformPaymentStatus.VOIDED
    return PlatformPaymentStatus.PENDING


def address(fields: dict[str, Any] | None) -> ChannelAddress | None:
    if not fields or not fields.get("country"):
        return None
    name = " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
    return ChannelAddress(
        country=str(fields["country"]).upper(),
        name=name or None,
        company=fields.get("company") or None,
        line1=fields.get("address_1") or None,
        line2=fields.get("address_2") or None,
        city=fields.get("city") or None,
        region=fields.get("state") or None,
        postal_code=fields.get("postcode") or None,
        phone=fields.get("phone") or None,
    )


def order_line(item: dict[str, Any], currency: str) -> ChannelOrderLine:
    """`subtotal` is the line before discounts and `total` after them (both without tax); the
    unit price is the subtotal over the quantity, and the discount makes up any rounding."""
    quantity = int(item.get("quantity") or 0)
    subtotal = minor(item.get("subtotal"), currency)
    total = minor(item.get("total"), currency)
    unit = (
        int((Decimal(subtotal) / quantity).quantize(Decimal(1), ROUND_HALF_UP)) if quantity else 0
    )
    variation = item.get("variation_id") or 0
    return ChannelOrderLine(
        platform_line_id=str(item["id"]),
        sku=item.get("sku") or None,
        quantity=quantity,
        unit_price_minor=unit,
        discount_minor=unit * quantity - total,
        tax_minor=minor(item.get("total_tax"), currency),
        title=item.get("name") or None,
        product_id=str(item["product_id"]) if item.get("product_id") else None,
        variant_id=str(variation) if variation else None,
    )


def channel_order(order: dict[str, Any]) -> ChannelOrder:
    currency = str(order.get("currency") or "USD").upper()
    total = minor(order.get("total"), currency)
    refunded = sum(abs(minor(r.get("total"), currency)) for r in order.get("refunds") or [])
    shipping_lines = order.get("shipping_lines") or []
    # Negative fees are how many shops give a discount outside coupons; positive fees (a payment
    # surcharge) have no neutral field and show only in the total.
    negative_fees = sum(
        -minor(f.get("total"), currency)
        for f in order.get("fee_lines") or []
        if minor(f.get("total"), currency) < 0
    )
    billing = order.get("billing") or {}
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
    created = gmt(order.get("date_created_gmt"))
    updated = gmt(order.get("date_modified_gmt")) or created
    if created is None or updated is None:
        raise ValueError(f"WooCommerce order {order.get('id')} has no date_created_gmt")
    return ChannelOrder(
        platform_order_id=str(order["id"]),
        number=str(order.get("number") or order["id"]),
        currency=currency,
        created_at=created,
        updated_at=updated,
        state=order_state(str(order.get("status", ""))),
        payment_status=payment_status(order, total=total, refunded=refunded),
        lines=tuple(order_line(item, currency) for item in order.get("line_items") or []),
        customer_email=billing.get("email") or None,
        customer_name=name or None,
        customer_phone=billing.get("phone") or None,
        shipping_address=address(order.get("shipping")),
        billing_address=address(billing),
        shipping_minor=sum(minor(s.get("total"), currency) for s in shipping_lines),
        shipping_tax_minor=sum(minor(s.get("total_tax"), currency) for s in shipping_lines),
        order_discount_minor=negative_fees,
        total_minor=total,
        refunded_minor=refunded,
        payment_method=order.get("payment_method_title") or order.get("payment_method") or None,
        payment_reference=order.get("transaction_id") or None,
        notes=order.get("customer_note") or None,
    )
