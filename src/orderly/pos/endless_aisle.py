"""Endless aisle: what a store does not hold, sold at its counter and shipped to the customer
from wherever the stock is. docs/pos.md."""

from __future__ import annotations

from orderly.kit.db import Transaction
from orderly.kit.money import from_minor
from orderly.order_flows.capture import capture_order
from orderly.orders import timeline as order_timeline
from orderly.orders.domain import DeliveryMethod, PaymentStatus
from orderly.orders.schemas import OrderIn, OrderLineIn, PaymentIn
from orderly.pos.domain import ENDLESS_AISLE_TAG, SOLD_EVENT, PricedLine, Store
from orderly.pos.schemas import SaleIn, SaleOut, TenderMethod
from orderly.tenancy.domain import Principal


async def for_delivery(
    tx: Transaction,
    principal: Principal,
    sale: SaleIn,
    store: Store,
    lines: list[PricedLine],
    tenders: list[tuple[TenderMethod, int, str | None]],
    currency: str,
    change: int,
) -> SaleOut:
    """Endless aisle: an ordinary order, paid at the counter, that routing sources from
    wherever the stock is and ships to the customer."""
    assert sale.ship_to is not None and sale.customer is not None
    payload = OrderIn(
        channel=sale.channel,
        currency=currency,
        customer=sale.customer,
        shipping_address=sale.ship_to,
        delivery_method=DeliveryMethod.SHIP,
        lines=[
            OrderLineIn(
                sku=x.sku.code,
                quantity=x.quantity,
                unit_price=from_minor(x.unit_price_minor, currency),
                tax=from_minor(x.tax_minor, currency),
            )
            for x in lines
        ],
        payments=[
            PaymentIn(
                status=PaymentStatus.CAPTURED,
                amount=from_minor(amount, currency),
                method=method.value,
                reference=reference,
            )
            for method, amount, reference in tenders
        ],
        tags=[ENDLESS_AISLE_TAG],
        notes=f"ordered at the counter of {store.code}",
    )
    captured = await capture_order(tx, principal, payload)
    await tx.send_queued()
    await order_timeline.append_events(
        tx.connection,
        principal.org_id,
        captured.order.id,
        [(SOLD_EVENT, {"till": sale.till, "location": store.code, "ship_to": True,
                       "change": from_minor(change, currency)})],
        principal.actor,
    )  # fmt: skip
    return SaleOut(
        order=captured.order,
        change=from_minor(change, currency),
        receipt=f"/v1/pos/sales/{captured.order.id}/receipt.pdf",
        taken_from=[],
    )
