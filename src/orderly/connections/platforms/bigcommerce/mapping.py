"""BigCommerce's v2 order, its products and shipping addresses, read as a `ChannelOrder`.
Money arrives as four-decimal strings ("55.9900") and is rounded to the currency's minor unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from email.utils import parsedate_to_datetime
from enum import IntEnum
from typing import Any

from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)
from orderly.kit.money import currency_exponent, to_minor

Json = Mapping[str, Any]


class OrderStatus(IntEnum):
    """BigCommerce's fixed order statuses (`status_id`)."""

    INCOMPLETE = 0
    PENDING = 1
    SHIPPED = 2
    PARTIALLY_SHIPPED = 3
    REFUNDED = 4
    CANCELLED = 5
    DECLINED = 6
    AWAITING_PAYMENT = 7
    AWAITING_PICKUP = 8
    AWAITING_SHIPMENT = 9
    COMPLETED = 10
    AWAITING_FULFILLMENT = 11
    MANUAL_VERIFICATION_REQUIRED = 12
    DISPUTED = 13
    PARTIALLY_REFUNDED = 14


_P = PlatformPaymentStatus
# What each status says of the money when the order's own `payment_status` says nothing.
_PAYMENT_OF_STATUS: dict[OrderStatus, PlatformPaymentStatus] = {
    OrderStatus.INCOMPLETE: _P.PENDING,
    OrderStatus.PENDING: _P.PENDING,
    OrderStatus.SHIPPED: _P.CAPTURED,
    OrderStatus.PARTIALLY_SHIPPED: _P.CAPTURED,
    OrderStatus.REFUNDED: _P.REFUNDED,
    OrderStatus.CANCELLED: _P.VOIDED,
    OrderStatus.DECLINED: _P.FAILED,
    OrderStatus.AWAITING_PAYMENT: _P.PENDING,
    OrderStatus.AWAITING_PICKUP: _P.CAPTURED,
    OrderStatus.AWAITING_SHIPMENT: _P.CAPTURED,
    OrderStatus.COMPLETED: _P.CAPTURED,
    OrderStatus.AWAITING_FULFILLMENT: _P.CAPTURED,
    OrderStatus.MANUAL_VERIFICATION_REQUIRED: _P.PENDING,
    OrderStatus.DISPUTED: _P.CAPTURED,
    OrderStatus.PARTIALLY_REFUNDED: _P.PARTIALLY_REFUNDED,
}
# The order's `payment_status` values, where they name a status of ours.
_PAYMENT_OF_FIELD: dict[str, PlatformPaymentStatus] = {
    "authorized": _P.AUTHORIZED,
    "captured": _P.CAPTURED,
    "paid": _P.CAPTURED,
    "declined": _P.FAILED,
    "partially refunded": _P.PARTIALLY_REFUNDED,
    "refunded": _P.REFUNDED,
    "void": _P.VOIDED,
}
# Statuses whose meaning for the money wins over `payment_status`.
_DECISIVE = {
    OrderStatus.REFUNDED,
    OrderStatus.PARTIALLY_REFUNDED,
    OrderStatus.DECLINED,
    OrderStatus.CANCELLED,
}


def money(value: Any, currency: str) -> int:
    """A BigCommerce amount ("12.9900", 12, Decimal) in minor units of `currency`."""
    if value in (None, ""):
        return 0
    step = Decimal(1).scaleb(-currency_exponent(currency))
    return to_minor(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP), currency)


def platform_time(value: str) -> datetime:
    """An RFC 2822 time as BigCommerce writes it ("Tue, 05 Mar 2019 21:40:11 +0000"), in UTC."""
    return parsedate_to_datetime(value).astimezone(UTC)


def payment_status(order: Json) -> PlatformPaymentStatus:
    status = OrderStatus(int(order["status_id"]))
    field = _PAYMENT_OF_FIELD.get(str(order.get("payment_status") or "").lower())
    if status in _DECISIVE or field is None:
        if status is OrderStatus.CANCELLED and field in (_P.REFUNDED, _P.PARTIALLY_REFUNDED):
            return field
        return _PAYMENT_OF_STATUS[status]
    return field


def order_state(order: Json) -> PlatformOrderState:
    status = OrderStatus(int(order["status_id"]))
    all_shipped = int(order.get("items_shipped") or 0) >= int(order.get("items_total") or 0) > 0
    if status in (OrderStatus.CANCELLED, OrderStatus.DECLINED):
        return PlatformOrderState.CANCELLED
    if status is OrderStatus.REFUNDED:
        # Refunded before anything left the warehouse: nothing is left to ship.
        return PlatformOrderState.COMPLETED if all_shipped else PlatformOrderState.CANCELLED
    if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED) or all_shipped:
        return PlatformOrderState.COMPLETED
    return PlatformOrderState.OPEN


def order_line(product: Json, currency: str) -> ChannelOrderLine:
    discounts = sum(
        money(d.get("amount"), currency) for d in product.get("applied_discounts") or ()
    )
    variant = product.get("variant_id")
    return ChannelOrderLine(
        platform_line_id=str(product["id"]),
        sku=str(product.get("sku") or "") or None,
        quantity=int(product["quantity"]),
        unit_price_minor=money(product.get("price_ex_tax"), currency),
        discount_minor=discounts,
        tax_minor=money(product.get("total_tax"), currency),
        title=product.get("name"),
        product_id=str(product["product_id"]) if product.get("product_id") else None,
        variant_id=str(variant) if variant else None,
    )


def address(raw: Json | None) -> ChannelAddress | None:
    if not raw or not raw.get("country_iso2"):
        return None
    name = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    return ChannelAddress(
        country=str(raw["country_iso2"]).upper(),
        name=name or None,
        company=raw.get("company") or None,
        line1=raw.get("street_1") or None,
        line2=raw.get("street_2") or None,
        city=raw.get("city") or None,
        region=raw.get("state") or None,
        postal_code=raw.get("zip") or None,
        phone=raw.get("phone") or None,
    )


def channel_order(order: Json, products: Sequence[Json], addresses: Sequence[Json]) -> ChannelOrder:
    currency = str(order["currency_code"]).upper()
    lines = tuple(order_line(p, currency) for p in products if not p.get("parent_order_product_id"))
    line_discounts = sum(line.discount_minor for line in lines)
    billing = order.get("billing_address") or {}
    total = money(order.get("total_inc_tax"), currency)
    refunded = money(order.get("refunded_amount"), currency)
    if not refunded and int(order["status_id"]) == OrderStatus.REFUNDED:
        refunded = total  # the v2 order does not always carry the refunded amount
    return ChannelOrder(
        platform_order_id=str(order["id"]),
        number=str(order["id"]),
        currency=currency,
        created_at=platform_time(order["date_created"]),
        updated_at=platform_time(order["date_modified"]),
        state=order_state(order),
        payment_status=payment_status(order),
        lines=lines,
        customer_email=billing.get("email") or None,
        customer_name=" ".join(
            p for p in (billing.get("first_name"), billing.get("last_name")) if p
        )
        or None,
        customer_phone=billing.get("phone") or None,
        shipping_address=address(addresses[0]) if addresses else None,
        billing_address=address(billing),
        shipping_minor=money(order.get("shipping_cost_ex_tax"), currency),
        shipping_tax_minor=money(order.get("shipping_cost_tax"), currency),
        order_discount_minor=max(money(order.get("discount_amount"), currency) - line_discounts, 0),
        total_minor=total,
        refunded_minor=refunded,
        payment_method=order.get("payment_method") or None,
        payment_reference=str(order.get("payment_provider_id") or "") or None,
        notes=order.get("customer_message") or None,
    )
