"""A platform's order becomes ours: captured once (never refused for want of stock, since the
customer has paid the platform), or, when we have it already, its later changes applied."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.connections import marketplace_orders, order_map
from orderly.connections import repository as repo
from orderly.connections.port import (
    ChannelAddress,
    ChannelOrder,
    PlatformOrderState,
    PlatformPaymentStatus,
)
from orderly.connections.schemas import ConnectionSettings
from orderly.kit.db import Transaction
from orderly.kit.errors import OrderlyError
from orderly.kit.money import from_minor
from orderly.order_flows import cancellation
from orderly.order_flows.capture import capture_order
from orderly.orders import queries
from orderly.orders import service as orders
from orderly.orders.domain import OrderStatus, PaymentStatus
from orderly.orders.schemas import AddressIn, CustomerIn, OrderIn, OrderLineIn, PaymentIn
from orderly.payments import service as payments
from orderly.payments.schemas import RefundDestination
from orderly.pos import handovers as pos
from orderly.sourcing.config import BackorderPolicy
from orderly.tenancy.domain import Principal, Role


class Outcome(StrEnum):
    CAPTURED = "captured"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    NEEDS_MAPPING = "needs_mapping"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Intake:
    outcome: Outcome
    order_id: int | None = None
    detail: str | None = None


class UnmappableOrder(Exception):
    """The platform's order lacks what an order needs (no lines)."""


_UNSHIPPED = {
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.ON_HOLD,
}


async def take_order(
    tx: Transaction, connection: Any, order: ChannelOrder, *, known_skus: set[str]
) -> Intake:
    """Capture the platform's order, or apply its changes to the order captured before."""
    conn = tx.connection
    before = await repo.connection_order(
        conn, connection_id=connection.id, platform_order_id=order.platform_order_id
    )
    if before is not None:
        return await _apply_changes(conn, connection, order, before)
    if order.state is PlatformOrderState.CANCELLED:
        return Intake(Outcome.IGNORED, detail="cancelled on the platform before it reached us")
    missing = sorted(
        {
            line.sku or f"(no SKU: {line.title or line.platform_line_id})"
            for line in order.lines
            if line.sku is None or line.sku not in known_skus
        }
    )
    if missing:
        return Intake(Outcome.NEEDS_MAPPING, detail="unknown SKUs: " + ", ".join(missing))
    settings = ConnectionSettings.model_validate(connection.settings)
    principal = Principal(
        org_id=connection.org_id, role=Role.ADMIN, actor=f"connection:{connection.id}"
    )
    if order.handed_over_at is not None:
        return await _take_counter_sale(tx, connection, order, settings, principal)
    if order.fulfilled_by_platform:
        return await _take_fulfilled_by_platform(tx, connection, order, principal)
    captured = await capture_order(
        tx,
        principal,
        order_in(order, channel=connection.channel_code),
        paid_elsewhere=(
            BackorderPolicy.BACKORDER
            if settings.on_shortage == "backorder"
            else BackorderPolicy.HOLD_ORDER
        ),
    )
    await tx.send_queued()
    await order_map.remember_order(conn, connection, order, order_id=captured.order.id)
    outcome = Outcome.CAPTURED if captured.created else Outcome.UNCHANGED
    return Intake(outcome, order_id=captured.order.id)


async def _take_fulfilled_by_platform(
    tx: Transaction, connection: Any, order: ChannelOrder, principal: Principal
) -> Intake:
    """An order the marketplace ships from its own stock: it never reserves ours. It is
    recorded, shipped, once the marketplace has shipped it (it comes again when it changes)."""
    if not marketplace_orders.is_ready(order):
        return Intake(
            Outcome.IGNORED,
            detail="fulfilled by the marketplace: recorded once the marketplace ships it",
        )
    order_id = await marketplace_orders.record(
        tx,
        principal,
        channel=connection.channel_code,
        order=order,
        customer_email=order.customer_email
        or no_email_address(connection.channel_code, order.platform_order_id),
    )
    await order_map.remember_order(tx.connection, connection, order, order_id=order_id)
    return Intake(Outcome.CAPTURED, order_id=order_id)


async def _take_counter_sale(
    tx: Transaction,
    connection: Any,
    order: ChannelOrder,
    settings: ConnectionSettings,
    principal: Principal,
) -> Intake:
    """A sale at the platform's register: recorded as handed over at the store its location
    maps to (`location_map`), with the platform's prices, tax and payment."""
    place = order.handed_over_at
    stores = await pos.stores_among(
        tx.connection, connection.org_id, settings.location_map.get(place or "", [])
    )
    if not stores:
        return Intake(
            Outcome.NEEDS_MAPPING,
            detail=f"a counter sale at the platform's location {place}: map it to a store "
            "in the connection's location_map",
        )
    sale = await pos.record_handover(
        tx,
        principal,
        store_code=stores[0],
        channel_code=connection.channel_code,
        external_id=order.platform_order_id,
        currency=order.currency,
        lines=[
            pos.HandedOverLine(
                sku=str(line.sku),
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                discount_minor=line.discount_minor,
                tax_minor=line.tax_minor,
            )
            for line in order.lines
        ],
        payment_method=order.payment_method,
        payment_reference=order.payment_reference,
        customer=CustomerIn(email=order.customer_email, name=order.customer_name)
        if order.customer_email
        else None,
    )
    await tx.send_queued()
    await order_map.remember_order(tx.connection, connection, order, order_id=sale.order.id)
    return Intake(Outcome.CAPTURED, order_id=sale.order.id)


async def _apply_changes(
    conn: AsyncConnection, connection: Any, order: ChannelOrder, before: Any
) -> Intake:
    if order.updated_at <= before.platform_updated_at:
        return Intake(Outcome.UNCHANGED, order_id=before.order_id)
    row = await queries.order_row(conn, connection.org_id, before.order_id)
    status = OrderStatus(row["status"]) if row is not None else None
    attention: str | None = None
    if order.state is PlatformOrderState.CANCELLED and status is not OrderStatus.CANCELLED:
        if status in _UNSHIPPED:
            await repo.mark_cancelled_on_platform(
                conn, connection_id=connection.id, platform_order_id=order.platform_order_id
            )
            principal = Principal(
                org_id=connection.org_id, role=Role.ADMIN, actor=f"connection:{connection.id}"
            )
            await cancellation.cancel_order(
                conn, principal, before.order_id, reason="cancelled on the platform"
            )
        else:
            attention = "cancelled on the platform after it shipped"
    elif order.payment_status in (
        PlatformPaymentStatus.REFUNDED,
        PlatformPaymentStatus.PARTIALLY_REFUNDED,
    ):
        attention = f"{order.payment_status.value} on the platform: check the order"
    else:
        attention = await _follow_address(conn, connection, order, row, status)
    await _record_platform_refund(conn, connection, order, before.order_id)
    await repo.save_connection_order(
        conn,
        {
            "org_id": connection.org_id,
            "connection_id": connection.id,
            "platform_order_id": order.platform_order_id,
            "platform_number": order.number,
            "order_id": before.order_id,
            "platform_updated_at": order.updated_at,
            "needs_attention": attention or before.needs_attention,
        },
    )
    return Intake(Outcome.UPDATED, order_id=before.order_id, detail=attention)


async def _record_platform_refund(
    conn: AsyncConnection, connection: Any, order: ChannelOrder, order_id: int
) -> None:
    """A refund the platform made is recorded on the order, once: the platform is the
    payment provider of its orders, so no money moves here."""
    recorded = await payments.refunded_minor(conn, connection.org_id, order_id)
    if order.refunded_minor <= recorded:
        return
    principal = Principal(
        org_id=connection.org_id, role=Role.ADMIN, actor=f"connection:{connection.id}"
    )
    await payments.refund_order(
        conn,
        principal,
        order_id=order_id,
        amount_minor=order.refunded_minor - recorded,
        destination=RefundDestination.ORIGINAL_PAYMENT,
        idempotency_key=(
            f"platform-refund:{connection.id}:{order.platform_order_id}:{order.refunded_minor}"
        ),
        reason=f"refunded on {connection.platform}",
        made_by=connection.platform,
    )


async def _follow_address(
    conn: AsyncConnection,
    connection: Any,
    order: ChannelOrder,
    row: dict[str, Any] | None,
    status: OrderStatus | None,
) -> str | None:
    """An address edited on the platform is applied while nothing has shipped; after that it
    is flagged for a person."""
    edited = _address(order.shipping_address)
    if row is None or edited is None:
        return None
    new = edited.model_dump(exclude_none=True)
    stored = row.get("shipping_address") or {}
    if all(stored.get(k) == v for k, v in new.items()):
        return None
    if status not in _UNSHIPPED:
        return "shipping address edited on the platform after it shipped"
    principal = Principal(
        org_id=connection.org_id, role=Role.ADMIN, actor=f"connection:{connection.id}"
    )
    try:
        async with conn.begin_nested():
            await orders.edit_shipping_address(conn, principal, row["id"], new)
    except OrderlyError as error:
        return f"shipping address edited on the platform, not applied: {error.detail}"
    return None


def with_our_skus(order: ChannelOrder, sku_map: dict[str, str]) -> ChannelOrder:
    """The order with each line's SKU in our words, where the connection maps the store's."""
    if not sku_map:
        return order
    lines = tuple(
        replace(line, sku=sku_map.get(line.sku, line.sku)) if line.sku else line
        for line in order.lines
    )
    return replace(order, lines=lines)


# A marketplace that keeps its buyers' e-mail to itself (Flipkart, Amazon's AFN) gives none:
# the order's customer is then an address in the reserved `.invalid` domain, one per order,
# that no message is ever sent to (docs/channels.md).
NO_EMAIL_DOMAIN = "no-email.invalid"


def no_email_address(channel: str, platform_order_id: str) -> str:
    local = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in platform_order_id)
    return f"{channel[:20]}-{local[:40]}@{NO_EMAIL_DOMAIN}"


def order_in(order: ChannelOrder, *, channel: str) -> OrderIn:
    """Our order from the platform's. The payment is the platform's: its status is taken as
    the platform reports it."""
    if not order.lines:
        raise UnmappableOrder("the order has no lines")
    currency = order.currency

    def money(minor: int) -> str:
        return from_minor(minor, currency)

    discounts = spread_discount(
        order.order_discount_minor,
        [line.unit_price_minor * line.quantity - line.discount_minor for line in order.lines],
    )

    return OrderIn(
        channel=channel,
        external_id=order.platform_order_id,
        currency=currency,
        customer=CustomerIn(
            email=order.customer_email or no_email_address(channel, order.platform_order_id),
            name=order.customer_name,
            phone=order.customer_phone,
        ),
        shipping_address=_address(order.shipping_address),
        billing_address=_address(order.billing_address),
        lines=[
            OrderLineIn(
                sku=line.sku or "",
                quantity=line.quantity,
                unit_price=money(line.unit_price_minor),
                discount=money(line.discount_minor + extra),
                tax=money(line.tax_minor),
            )
            for line, extra in zip(order.lines, discounts, strict=True)
        ],
        shipping_price=money(order.shipping_minor + order.shipping_tax_minor),
        payment=PaymentIn(
            status=PaymentStatus(order.payment_status.value),
            amount=money(order.total_minor),
            method=order.payment_method,
            reference=order.payment_reference,
        ),
        notes=order.notes,
        tags=[f"platform-order:{order.number}"[:50]],
        ship_by=order.ship_by,
    )


def spread_discount(discount_minor: int, line_values: list[int]) -> list[int]:
    """An order-level discount spread over the lines by their value, to the last minor unit."""
    total = sum(max(v, 0) for v in line_values)
    if discount_minor <= 0 or total <= 0:
        return [0] * len(line_values)
    discount_minor = min(discount_minor, total)
    shares = [discount_minor * max(v, 0) // total for v in line_values]
    left = discount_minor - sum(shares)
    for i in sorted(range(len(shares)), key=lambda i: -line_values[i])[:left]:
        shares[i] += 1
    return shares


def _address(address: ChannelAddress | None) -> AddressIn | None:
    if address is None:
        return None
    return AddressIn(
        name=address.name,
        company=address.company,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        region=address.region,
        postal_code=address.postal_code,
        country=address.country,
        phone=address.phone,
    )
