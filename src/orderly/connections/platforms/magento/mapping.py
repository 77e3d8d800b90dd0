"""Magento's order JSON as Orderly's `ChannelOrder`: money in minor units of the order's
currency, one line per ordered unit of stock, Magento's states in our words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"
# A parent item whose children carry the ordered units: a configurable's parent carries the
# price (its child repeats the SKU at price 0), a bundle's children are the units themselves.
CONFIGURABLE = "configurable"
BUNDLE = "bundle"


def magento_time(value: str) -> datetime:
    """Magento's "YYYY-MM-DD HH:MM:SS", always UTC in the REST API."""
    return datetime.strptime(value, MAGENTO_TIME).replace(tzinfo=UTC)


def format_magento_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(MAGENTO_TIME)


def minor(value: Any, currency: str) -> int:
    """A Magento amount (a JSON number read as Decimal, or a string) in minor units. Magento
    keeps four decimals ("10.0000"), so the amount is rounded to the currency first."""
    if value is None or value == "":
        return 0
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    step = Decimal(1).scaleb(-currency_exponent(currency))
    return to_minor(amount.quantize(step, rounding=ROUND_HALF_UP), currency)


def channel_order(raw: Mapping[str, Any]) -> ChannelOrder:
    currency = str(raw["order_currency_code"])
    items: Sequence[Mapping[str, Any]] = raw.get("items") or []
    lines = tuple(_lines(items, currency))
    line_discounts = sum(line.discount_minor for line in lines)
    order_discount = abs(minor(raw.get("discount_amount"), currency))
    name = " ".join(
        part for part in (raw.get("customer_firstname"), raw.get("customer_lastname")) if part
    )
    billing = raw.get("billing_address")
    payment = raw.get("payment") or {}
    return ChannelOrder(
        platform_order_id=str(raw["entity_id"]),
        number=str(raw.get("increment_id") or raw["entity_id"]),
        currency=currency,
        created_at=magento_time(raw["created_at"]),
        updated_at=magento_time(raw.get("updated_at") or raw["created_at"]),
        state=order_state(raw),
        payment_status=payment_status(raw),
        lines=lines,
        customer_email=raw.get("customer_email"),
        customer_name=name or None,
        customer_phone=(billing or {}).get("telephone"),
        shipping_address=_address(_shipping_address(raw)),
        billing_address=_address(billing),
        shipping_minor=minor(raw.get("shipping_amount"), currency),
        shipping_tax_minor=minor(raw.get("shipping_tax_amount"), currency),
        # Magento's order discount is its lines' discounts plus any on shipping: the rest.
        order_discount_minor=max(order_discount - line_discounts, 0),
        total_minor=minor(raw.get("grand_total"), currency),
        refunded_minor=minor(raw.get("total_refunded"), currency),
        payment_method=payment.get("method"),
        payment_reference=payment.get("last_trans_id") or None,
    )


def _lines(items: Sequence[Mapping[str, Any]], currency: str) -> list[ChannelOrderLine]:
    types = {item.get("item_id"): item.get("product_type") for item in items}
    bundles_with_children = {
        item.get("parent_item_id")
        for item in items
        if types.get(item.get("parent_item_id")) == BUNDLE
    }
    lines = []
    for item in items:
        parent = item.get("parent_item_id")
        if parent is not None and types.get(parent) == CONFIGURABLE:
            continue  # the parent line carries this unit and its price
        if item.get("product_type") == BUNDLE and item.get("item_id") in bundles_with_children:
            continue  # its children are the units
        lines.append(
            ChannelOrderLine(
                platform_line_id=str(item["item_id"]),
                sku=item.get("sku") or None,
                quantity=int(Decimal(str(item.get("qty_ordered") or 0))),
                unit_price_minor=minor(item.get("price"), currency),
                discount_minor=minor(item.get("discount_amount"), currency),
                tax_minor=minor(item.get("tax_amount"), currency),
                title=item.get("name"),
                product_id=str(item["product_id"]) if item.get("product_id") else None,
            )
        )
    return lines


def order_state(raw: Mapping[str, Any]) -> PlatformOrderState:
    """canceled is cancelled; complete is completed; closed (refunded in full) is cancelled
    unless something had shipped, for then it was fulfilled and refunded afterwards."""
    state = raw.get("state")
    if state == "canceled":
        return PlatformOrderState.CANCELLED
    if state == "complete":
        return PlatformOrderState.COMPLETED
    if state == "closed":
        shipped = any(Decimal(str(i.get("qty_shipped") or 0)) > 0 for i in raw.get("items") or [])
        return PlatformOrderState.COMPLETED if shipped else PlatformOrderState.CANCELLED
    return PlatformOrderState.OPEN


def payment_status(raw: Mapping[str, Any]) -> PlatformPaymentStatus:
    """Magento has no financial status: it follows from what was paid, refunded or authorized."""
    currency = str(raw["order_currency_code"])
    total = minor(raw.get("grand_total"), currency)
    paid = minor(raw.get("total_paid"), currency)
    refunded = minor(raw.get("total_refunded"), currency)
    payment = raw.get("payment") or {}
    if refunded > 0:
        return (
            PlatformPaymentStatus.REFUNDED
            if refunded >= paid
            else PlatformPaymentStatus.PARTIALLY_REFUNDED
        )
    if paid > 0 and paid >= total:
        return PlatformPaymentStatus.CAPTURED
    if raw.get("state") == "canceled":
        return PlatformPaymentStatus.VOIDED
    if minor(payment.get("amount_authorized"), currency) > 0 or paid > 0:
        return PlatformPaymentStatus.AUTHORIZED
    return PlatformPaymentStatus.PENDING


def _shipping_address(raw: Mapping[str, Any]) -> Mapping[str, Any] | None:
    assignments = (raw.get("extension_attributes") or {}).get("shipping_assignments") or []
    for assignment in assignments:
        address = (assignment.get("shipping") or {}).get("address")
        if address:
            return dict(address)
    return None


def _address(raw: Mapping[str, Any] | None) -> ChannelAddress | None:
    if not raw or not raw.get("country_id"):
        return None
    street = list(raw.get("street") or [])
    name = " ".join(part for part in (raw.get("firstname"), raw.get("lastname")) if part)
    return ChannelAddress(
        country=str(raw["country_id"]),
        name=name or None,
        company=raw.get("company") or None,
        line1=street[0] if street else None,
        line2=", ".join(street[1:]) or None,
        city=raw.get("city"),
        region=raw.get("region_code") or raw.get("region"),
        postal_code=raw.get("postcode"),
        phone=raw.get("telephone"),
    )
