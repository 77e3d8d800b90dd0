"""Shopify orders in Orderly's neutral shape: the webhook (REST-shaped) JSON and the GraphQL Admin
order both map to one `ChannelOrder`, money in minor units of the order's currency."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)
from orderly.kit.money import to_minor

# Shopify's financial status (REST lower case, GraphQL upper case) in our words. A partly paid
# order is not paid: it waits as pending.
PAYMENT_STATUSES: dict[str, PlatformPaymentStatus] = {
    "pending": PlatformPaymentStatus.PENDING,
    "authorized": PlatformPaymentStatus.AUTHORIZED,
    "partially_paid": PlatformPaymentStatus.PENDING,
    "paid": PlatformPaymentStatus.CAPTURED,
    "partially_refunded": PlatformPaymentStatus.PARTIALLY_REFUNDED,
    "refunded": PlatformPaymentStatus.REFUNDED,
    "voided": PlatformPaymentStatus.VOIDED,
    "expired": PlatformPaymentStatus.VOIDED,
}

Json = Mapping[str, Any]


def legacy_id(gid_or_id: Any) -> str:
    """ "gid://shopify/Order/42" and 42 are both "42": the id a merchant sees in the admin."""
    return str(gid_or_id).rsplit("/", 1)[-1]


def gid(kind: str, some_id: str) -> str:
    return some_id if some_id.startswith("gid://") else f"gid://shopify/{kind}/{some_id}"


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def payment_status(financial_status: str | None) -> PlatformPaymentStatus:
    return PAYMENT_STATUSES.get(
        (financial_status or "pending").lower(), PlatformPaymentStatus.PENDING
    )


def order_state(*, cancelled_at: str | None, fulfillment_status: str | None) -> PlatformOrderState:
    if cancelled_at:
        return PlatformOrderState.CANCELLED
    if (fulfillment_status or "").lower() == "fulfilled":
        return PlatformOrderState.COMPLETED
    return PlatformOrderState.OPEN


def _minor(amount: Any, currency: str) -> int:
    if amount is None or amount == "":
        return 0
    return to_minor(Decimal(str(amount)), currency)


def _sum(amounts: Iterable[Any], currency: str) -> int:
    return sum(_minor(amount, currency) for amount in amounts)


def _address(raw: Json | None, *, rest: bool) -> ChannelAddress | None:
    if not raw:
        return None
    country = raw.get("country_code" if rest else "countryCodeV2")
    if not country:
        return None
    name = raw.get("name") or " ".join(
        part for part in (raw.get("first_name"), raw.get("last_name")) if part
    )
    return ChannelAddress(
        country=str(country),
        name=name or None,
        company=raw.get("company") or None,
        line1=raw.get("address1") or None,
        line2=raw.get("address2") or None,
        city=raw.get("city") or None,
        region=raw.get("province_code" if rest else "provinceCode") or None,
        postal_code=raw.get("zip") or None,
        phone=raw.get("phone") or None,
    )


def _finish(
    *,
    lines: tuple[ChannelOrderLine, ...],
    total_discounts_minor: int,
    shipping_discount_minor: int,
    **fields: Any,
) -> ChannelOrder:
    # Shopify spreads order-level discounts over the lines (discount allocations); what remains
    # of the order's discounts is on shipping.
    spread = sum(line.discount_minor for line in lines)
    return ChannelOrder(
        lines=lines,
        order_discount_minor=max(total_discounts_minor - spread, shipping_discount_minor, 0),
        **fields,
    )


def order_from_webhook(raw: Json) -> ChannelOrder:
    """An order as an orders/* webhook carries it (the REST resource)."""
    currency = str(raw["currency"])
    lines = tuple(
        ChannelOrderLine(
            platform_line_id=legacy_id(line["id"]),
            sku=line.get("sku") or None,
            quantity=int(line["quantity"]),
            unit_price_minor=_minor(line["price"], currency),
            discount_minor=_sum(
                (a["amount"] for a in line.get("discount_allocations") or ()), currency
            ),
            tax_minor=_sum((t["price"] for t in line.get("tax_lines") or ()), currency),
            title=line.get("title"),
            product_id=legacy_id(line["product_id"]) if line.get("product_id") else None,
            variant_id=legacy_id(line["variant_id"]) if line.get("variant_id") else None,
        )
        for line in raw.get("line_items") or ()
    )
    shipping = raw.get("shipping_lines") or ()
    shipping_minor = _sum((s["price"] for s in shipping), currency)
    shipping_paid = _sum((s.get("discounted_price", s["price"]) for s in shipping), currency)
    refunded = _sum(
        (
            t["amount"]
            for refund in raw.get("refunds") or ()
            for t in refund.get("transactions") or ()
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        currency,
    )
    customer = raw.get("customer") or {}
    billing = _address(raw.get("billing_address"), rest=True)
    shipping_address = _address(raw.get("shipping_address"), rest=True)
    customer_name = " ".join(
        part for part in (customer.get("first_name"), customer.get("last_name")) if part
    )
    return _finish(
        platform_order_id=legacy_id(raw["id"]),
        number=str(raw.get("name") or raw.get("order_number") or raw["id"]),
        currency=currency,
        created_at=parse_time(raw["created_at"]),
        updated_at=parse_time(raw["updated_at"]),
        state=order_state(
            cancelled_at=raw.get("cancelled_at"), fulfillment_status=raw.get("fulfillment_status")
        ),
        payment_status=payment_status(raw.get("financial_status")),
        lines=lines,
        customer_email=raw.get("email") or customer.get("email") or None,
        customer_name=customer_name or (billing or shipping_address or _NO_ADDRESS).name,
        customer_phone=raw.get("phone") or customer.get("phone") or None,
        shipping_address=shipping_address,
        billing_address=billing,
        shipping_minor=shipping_minor,
        shipping_tax_minor=_sum(
            (t["price"] for s in shipping for t in s.get("tax_lines") or ()), currency
        ),
        total_discounts_minor=_minor(raw.get("total_discounts"), currency),
        shipping_discount_minor=shipping_minor - shipping_paid,
        total_minor=_minor(raw.get("total_price"), currency),
        refunded_minor=refunded,
        payment_method=", ".join(raw.get("payment_gateway_names") or ()) or None,
        notes=raw.get("note") or None,
    )


_NO_ADDRESS = ChannelAddress(country="")


def _shop_amount(money_bag: Json | None) -> Any:
    return ((money_bag or {}).get("shopMoney") or {}).get("amount")


def order_from_graphql(raw: Json, lines: Iterable[Json]) -> ChannelOrder:
    """An order as the GraphQL Admin API answers it (the `ORDER_FIELDS` selection), with all its
    line items (the connection may need more than one page)."""
    currency = str(raw["currencyCode"])
    mapped = tuple(
        ChannelOrderLine(
            platform_line_id=legacy_id(line["id"]),
            sku=line.get("sku") or None,
            quantity=int(line["quantity"]),
            unit_price_minor=_minor(_shop_amount(line["originalUnitPriceSet"]), currency),
            discount_minor=_minor(_shop_amount(line.get("totalDiscountSet")), currency),
            tax_minor=_sum(
                (_shop_amount(t["priceSet"]) for t in line.get("taxLines") or ()), currency
            ),
            title=line.get("title"),
            product_id=legacy_id(line["product"]["id"]) if line.get("product") else None,
            variant_id=legacy_id(line["variant"]["id"]) if line.get("variant") else None,
        )
        for line in lines
    )
    shipping = (raw.get("shippingLines") or {}).get("nodes") or ()
    shipping_minor = _sum((_shop_amount(s["originalPriceSet"]) for s in shipping), currency)
    shipping_paid = _sum((_shop_amount(s["discountedPriceSet"]) for s in shipping), currency)
    billing = _address(raw.get("billingAddress"), rest=False)
    shipping_address = _address(raw.get("shippingAddress"), rest=False)
    return _finish(
        platform_order_id=legacy_id(raw["id"]),
        number=str(raw["name"]),
        currency=currency,
        created_at=parse_time(raw["createdAt"]),
        updated_at=parse_time(raw["updatedAt"]),
        state=order_state(
            cancelled_at=raw.get("cancelledAt"),
            fulfillment_status=raw.get("displayFulfillmentStatus"),
        ),
        payment_status=payment_status(raw.get("displayFinancialStatus")),
        lines=mapped,
        customer_email=raw.get("email") or None,
        customer_name=(billing or shipping_address or _NO_ADDRESS).name,
        customer_phone=raw.get("phone") or None,
        shipping_address=shipping_address,
        billing_address=billing,
        shipping_minor=shipping_minor,
        shipping_tax_minor=_sum(
            (_shop_amount(t["priceSet"]) for s in shipping for t in s.get("taxLines") or ()),
            currency,
        ),
        total_discounts_minor=_minor(_shop_amount(raw.get("totalDiscountsSet")), currency),
        shipping_discount_minor=shipping_minor - shipping_paid,
        total_minor=_minor(_shop_amount(raw.get("totalPriceSet")), currency),
        refunded_minor=_minor(_shop_amount(raw.get("totalRefundedSet")), currency),
        payment_method=", ".join(raw.get("paymentGatewayNames") or ()) or None,
        notes=raw.get("note") or None,
    )
