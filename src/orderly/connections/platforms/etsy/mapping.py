"""An Etsy shop receipt as a `ChannelOrder`: Money as `amount / divisor`, one line a transaction,
the receipt's sales tax and VAT spread over the lines by value, the coupon on the order, and
digital downloads (no stock) left out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)
from orderly.kit.money import MoneyError, currency_exponent

Json = Mapping[str, Any]
_P = PlatformPaymentStatus


class ReceiptStatus(StrEnum):
    PAID = "paid"
    COMPLETED = "completed"
    OPEN = "open"
    PAYMENT_PROCESSING = "payment processing"
    CANCELED = "canceled"
    FULLY_REFUNDED = "fully refunded"
    PARTIALLY_REFUNDED = "partially refunded"


def epoch(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def updated_of(receipt: Json) -> int:
    return int(receipt.get("updated_timestamp") or receipt.get("update_timestamp") or 0)


def currency_of(receipt: Json) -> str:
    for key in ("grandtotal", "total_price", "subtotal"):
        code = (receipt.get(key) or {}).get("currency_code")
        if code:
            return str(code).upper()
    raise PlatformRefused(f"etsy receipt {receipt.get('receipt_id')} names no currency")


def minor(money: Json | None, currency: str) -> int:
    """Minor units of `amount / divisor`, rounded half up below the currency's smallest unit."""
    if not money:
        return 0
    code = str(money.get("currency_code") or currency).upper()
    try:
        exponent = currency_exponent(code)
    except MoneyError as error:
        raise PlatformRefused(f"etsy amount in {code}: {error}") from None
    divisor = int(money.get("divisor") or 1) or 1
    scaled = Decimal(int(money.get("amount") or 0)).scaleb(exponent) / divisor
    return int(scaled.to_integral_value(ROUND_HALF_UP))


def physical_transactions(receipt: Json) -> list[Json]:
    return [t for t in receipt.get("transactions") or () if not t.get("is_digital")]


def is_physical(receipt: Json) -> bool:
    """A receipt with goods to ship; one of digital downloads only is no order for Orderly."""
    return bool(physical_transactions(receipt))


def refunded(receipt: Json, currency: str) -> int:
    return sum(minor(r.get("amount"), currency) for r in receipt.get("refunds") or ())


def order_state(receipt: Json) -> PlatformOrderState:
    status = str(receipt.get("status") or "").lower()
    shipped = bool(receipt.get("is_shipped"))
    if status == ReceiptStatus.CANCELED or (status == ReceiptStatus.FULLY_REFUNDED and not shipped):
        return PlatformOrderState.CANCELLED
    if shipped or status == ReceiptStatus.COMPLETED:
        return PlatformOrderState.COMPLETED
    return PlatformOrderState.OPEN


def payment_status(receipt: Json, *, total: int, back: int) -> PlatformPaymentStatus:
    status = str(receipt.get("status") or "").lower()
    if status == ReceiptStatus.FULLY_REFUNDED or (back and back >= total):
        return _P.REFUNDED
    if status == ReceiptStatus.PARTIALLY_REFUNDED or back:
        return _P.PARTIALLY_REFUNDED
    if status == ReceiptStatus.CANCELED:
        return _P.VOIDED
    return _P.CAPTURED if receipt.get("is_paid") else _P.PENDING


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """`total` shared by the weights, to the last minor unit (the remainder to the largest)."""
    if not weights:
        return []
    base = sum(max(w, 0) for w in weights)
    if base <= 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * max(w, 0) // base for w in weights]
    largest = max(range(len(weights)), key=lambda i: weights[i])
    shares[largest] += total - sum(shares)
    return shares


def lines(receipt: Json, currency: str, tax: int) -> tuple[ChannelOrderLine, ...]:
    rows = physical_transactions(receipt)
    units = [minor(t.get("price"), currency) for t in rows]
    values = [unit * int(t.get("quantity") or 0) for unit, t in zip(units, rows, strict=True)]
    taxes = spread(tax, values)
    return tuple(
        ChannelOrderLine(
            platform_line_id=str(t["transaction_id"]),
            sku=str(t.get("sku") or "").strip() or None,
            quantity=int(t.get("quantity") or 0),
            unit_price_minor=unit,
            tax_minor=line_tax,
            title=t.get("title") or None,
            product_id=str(t["listing_id"]) if t.get("listing_id") else None,
            variant_id=str(t["product_id"]) if t.get("product_id") else None,
        )
        for t, unit, line_tax in zip(rows, units, taxes, strict=True)
    )


def address(receipt: Json) -> ChannelAddress | None:
    country = str(receipt.get("country_iso") or "").strip()
    if not country:
        return None  # Etsy withholds the address in some regions without a partnership
    return ChannelAddress(
        country=country.upper(),
        name=receipt.get("name") or None,
        line1=receipt.get("first_line") or None,
        line2=receipt.get("second_line") or None,
        city=receipt.get("city") or None,
        region=receipt.get("state") or None,
        postal_code=receipt.get("zip") or None,
    )


def ship_by(receipt: Json) -> datetime | None:
    """The earliest expected ship date of the receipt's goods."""
    dates = [
        int(t["expected_ship_date"])
        for t in physical_transactions(receipt)
        if t.get("expected_ship_date")
    ]
    return epoch(min(dates)) if dates else None


def notes(receipt: Json) -> str | None:
    parts = [str(receipt.get("message_from_buyer") or "").strip()]
    if receipt.get("is_gift"):
        message = str(receipt.get("gift_message") or "").strip()
        parts.append(f"Gift: {message}" if message else "Gift")
    return "\n".join(p for p in parts if p) or None


def channel_order(receipt: Json) -> ChannelOrder:
    currency = currency_of(receipt)
    total = minor(receipt.get("grandtotal"), currency)
    back = refunded(receipt, currency)
    tax = minor(receipt.get("total_tax_cost"), currency) + minor(
        receipt.get("total_vat_cost"), currency
    )
    created = receipt.get("created_timestamp") or receipt.get("create_timestamp")
    return ChannelOrder(
        platform_order_id=str(receipt["receipt_id"]),
        number=str(receipt["receipt_id"]),
        currency=currency,
        created_at=epoch(created),
        updated_at=epoch(updated_of(receipt)),
        state=order_state(receipt),
        payment_status=payment_status(receipt, total=total, back=back),
        lines=lines(receipt, currency, tax),
        customer_email=receipt.get("buyer_email") or None,
        customer_name=receipt.get("name") or None,
        shipping_address=address(receipt),
        shipping_minor=minor(receipt.get("total_shipping_cost"), currency),
        order_discount_minor=minor(receipt.get("discount_amt"), currency),
        total_minor=total,
        refunded_minor=back,
        payment_method=receipt.get("payment_method") or None,
        notes=notes(receipt),
        ship_by=ship_by(receipt),
    )
