"""Orders a marketplace fulfils from its own stock (Amazon's AFN, Fulfilled by Flipkart): recorded
once the marketplace has shipped them, for the one view and the reports, with its prices and
payment. They never reserve our stock, are never routed and have nothing to pick."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from orderly.catalog import service as catalog
from orderly.channels import service as channels
from orderly.connections.port import ChannelAddress, ChannelOrder, PlatformOrderState
from orderly.kit.db import Transaction
from orderly.kit.errors import InvalidInput
from orderly.orders import order_write
from orderly.orders.domain import DeliveryMethod, OrderStatus, PaymentStatus
from orderly.orders.records import LineRecord, OrderRecord, PaymentRecord
from orderly.orders.repository import new_order_identity
from orderly.tenancy.domain import Principal

# The tag every such order carries: the lists and reports tell them from our own.
FULFILLED_BY_MARKETPLACE = "fulfilled_by_marketplace"
PLATFORM_PAYMENTS = "sales_platform"


def is_ready(order: ChannelOrder) -> bool:
    """Recorded once the marketplace has shipped it; until then it is the marketplace's."""
    return order.state is PlatformOrderState.COMPLETED


async def record(
    tx: Transaction,
    principal: Principal,
    *,
    channel: str,
    order: ChannelOrder,
    customer_email: str,
) -> int:
    """Write the order as shipped by the marketplace, with no allocation: no stock moves.
    Answers its id."""
    conn = tx.connection
    policy = await channels.channel_policy(conn, principal.org_id, channel)
    skus = await catalog.skus_by_code(conn, principal.org_id, [str(x.sku) for x in order.lines])
    for n, line in enumerate(order.lines):
        if line.sku not in skus:
            raise InvalidInput(f"no SKU {line.sku!r}", field=f"lines.{n}.sku")
    order_id, number, now = await new_order_identity(conn, principal.org_id)
    lines = tuple(
        LineRecord(
            line_no=n,
            sku=str(line.sku),
            sku_id=skus[str(line.sku)].id,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            discount_minor=line.discount_minor,
            tax_minor=line.tax_minor,
            total_minor=line.unit_price_minor * line.quantity
            - line.discount_minor
            + line.tax_minor,
        )
        for n, line in enumerate(order.lines, start=1)
    )
    shipping = order.shipping_minor + order.shipping_tax_minor
    total = sum(x.total_minor for x in lines) + shipping
    record = OrderRecord(
        id=order_id,
        org_id=principal.org_id,
        number=number,
        channel_id=policy.id,
        channel_code=channel,
        external_id=order.platform_order_id,
        status=OrderStatus.SHIPPED.value,
        currency=order.currency,
        customer_email=customer_email,
        customer_name=order.customer_name,
        customer_phone=order.customer_phone,
        billing_address=None,
        shipping_address=_address(order.shipping_address),
        delivery_method=DeliveryMethod.SHIP.value,
        pickup_location_id=None,
        pickup_code=None,
        subtotal_minor=sum(x.unit_price_minor * x.quantity for x in lines),
        discount_minor=sum(x.discount_minor for x in lines),
        tax_minor=sum(x.tax_minor for x in lines),
        shipping_minor=shipping,
        total_minor=total,
        payment_status=PaymentStatus.CAPTURED.value,
        payment_amount_minor=total,
        payment_method=order.payment_method,
        payment_reference=order.payment_reference,
        hold_reasons=[],
        notes=order.notes,
        tags=[FULFILLED_BY_MARKETPLACE, f"platform-order:{order.number}"[:50]],
        requested_delivery_date=None,
        created_at=now,
        updated_at=now,
        lines=lines,
        allocations=(),
        payments=(
            PaymentRecord(
                position=1,
                method=order.payment_method,
                provider=PLATFORM_PAYMENTS,
                account_id=None,
                reference=order.payment_reference,
                currency=order.currency,
                amount_minor=total,
                authorized_minor=total,
                captured_minor=total,
                refunded_minor=0,
                status=PaymentStatus.CAPTURED.value,
            ),
        ),
        ship_by=order.ship_by,
    )
    events: list[tuple[str, dict[str, Any]]] = [
        ("order.captured", {"channel": channel, "lines": len(lines)}),
        ("order.shipped", {"fulfilled_by": "marketplace", "channel": channel}),
    ]
    order_write.write_order(tx, record, events=events, actor=principal.actor, handed_over=True)
    await tx.send_queued()
    return order_id


def _address(address: ChannelAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {k: v for k, v in asdict(address).items() if v is not None}
