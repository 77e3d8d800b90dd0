"""Order capture: validate, verify, source, reserve and store an order in one transaction.

Two round trips after the key lookup, the write travelling with COMMIT: docs/architecture.md,
"Fewer round trips on the capture path".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels.domain import DEFAULT_FULFILLMENT_KINDS
from orderly.fulfillment import service as fulfillment
from orderly.inventory.reservations import capture_snapshot_query, snapshot_from
from orderly.kit.db import fetch_together
from orderly.kit.idempotency import Claim
from orderly.kit.money import MoneyError, currency_exponent, to_minor
from orderly.orders import order_write, queries, repository
from orderly.orders.allocation import insufficient_stock, plan_sourcing
from orderly.orders.domain import (
    CheckResult,
    DeliveryMethod,
    HoldReason,
    LineAmounts,
    OrderStatus,
    PaymentStatus,
    check_availability,
    check_payment,
    check_shipping,
    initial_status,
    order_totals,
    owed_amounts,
)
from orderly.orders.errors import (
    InvalidAmount,
    InvalidCurrency,
    OrderNotFound,
    PickupNotAvailable,
    StoreCreditPaymentInvalid,
    UnknownSku,
)
from orderly.orders.fraud import OrderDraft, screen_order
from orderly.orders.presenters import order_out
from orderly.orders.schemas import OrderIn, OrderOut
from orderly.payments import service as payments
from orderly.sourcing import service as sourcing
from orderly.sourcing.config import BackorderPolicy
from orderly.sourcing.domain import (
    Destination,
    LineDemand,
    SourcingPlan,
    SourcingStrategy,
)
from orderly.tenancy.domain import Principal


@dataclass(frozen=True, slots=True)
class Captured:
    order: OrderOut
    created: bool


async def capture_order(
    conn: AsyncConnection,
    principal: Principal,
    payload: OrderIn,
    *,
    strategy: SourcingStrategy | None = None,
    write_at_commit: bool = False,
    claim: Claim | None = None,
) -> Captured:
    """Capture one order. With ``write_at_commit`` the order is written with COMMIT (one round
    trip less), so the caller must read nothing of it in this transaction: the API does so.
    A ``claim`` of an Idempotency-Key travels with the first round trip, and is settled first
    (it may raise `Replayed`)."""
    org_id = principal.org_id
    paid_with_credit = payload.payment.method == payments.PAID_WITH_STORE_CREDIT
    if paid_with_credit:
        _check_store_credit_payment(payload)  # before any round trip
    sku_codes = sorted({line.sku for line in payload.lines})
    pickup = payload.delivery_method is DeliveryMethod.PICKUP
    destination = None
    if payload.shipping_address is not None and payload.delivery_method is DeliveryMethod.SHIP:
        a = payload.shipping_address
        destination = Destination(a.country, a.latitude, a.longitude, a.postal_code)
    # The context and the locked availability snapshot in one round trip: the snapshot looks
    # the SKUs, the channel's location kinds and the pickup location up by code itself.
    claim_rows, *_, context_rows, snapshot_rows = await fetch_together(
        conn,
        *([claim.query] if claim is not None else []),
        *repository.capture_context_queries(
            org_id=org_id,
            channel=payload.channel,
            external_id=payload.external_id,
            sku_codes=sku_codes,
            pickup_code=payload.pickup_location,
        ),
        capture_snapshot_query(
            org_id=org_id,
            sku_codes=sku_codes,
            channel=payload.channel,
            default_kinds=DEFAULT_FULFILLMENT_KINDS,
            capability="pickup" if pickup else "ship",
            country=destination.country if destination else None,
            pickup_code=payload.pickup_location if pickup else None,
        ),
    )
    if claim is not None:
        claim.settle(claim_rows)
    ctx = repository.capture_context_from(context_rows, payload.channel)
    channel = ctx.channel
    if ctx.existing_order_id is not None:
        existing = await queries.order_row(conn, org_id, ctx.existing_order_id)
        if existing is None:  # pragma: no cover - the lock above makes this impossible
            raise OrderNotFound("the existing order vanished")
        return Captured(order_out(existing), created=False)

    lines = _line_amounts(payload)
    shipping_minor = _minor(payload.shipping_price, payload.currency, "shipping_price")
    payment_minor = _minor(payload.payment.amount, payload.currency, "payment.amount")
    demands = _demands(
        payload,
        ctx.sku_ids,
        ctx.inactive_skus,
        prices={n: a.unit_price_minor for n, a in lines.items()},
        weights=ctx.sku_weights,
    )
    pickup_id = _pickup_location_id(payload, ctx.pickup_location)
    # The routing engine under the channel's configuration (read by the context query).
    routing = strategy or sourcing.routing_for(
        ctx.routing_config,
        delivery_method=payload.delivery_method.value,
        pickup_location_id=pickup_id,
        promise_date=payload.requested_delivery_date,
        channel=channel.code,
    )
    on_short = sourcing.backorder_policy(routing)

    shipping_address = _address(payload.shipping_address)
    snapshot = snapshot_from(snapshot_rows)
    shipping = check_shipping(
        method=payload.delivery_method,
        address=shipping_address,
        candidate_count=len(snapshot.candidates),
        pickup_code=payload.pickup_location,
    )
    plan = SourcingPlan((), {})
    if shipping.passed:
        # The snapshot holds the stock rows locked (but those of SKUs in high demand): the
        # plan's reservations are written together with the order (order_write).
        plan = plan_sourcing(
            demands=demands,
            destination=destination,
            snapshot=snapshot,
            allow_shortfall=channel.allow_backorders or on_short is not BackorderPolicy.BACKORDER,
            strategy=routing,
            sku_codes_by_id={v: k for k, v in ctx.sku_ids.items()},
        )
    availability = (
        check_availability(
            dict(plan.shortfalls), allow_backorders=channel.allow_backorders, on_short=on_short
        )
        if shipping.passed
        else CheckResult("availability", False, "not sourced until shipping is resolved")
    )
    # Under the cancel_line policy the short units leave the line: they are neither owed
    # nor sourced again.
    cancelled = dict(plan.shortfalls) if on_short is BackorderPolicy.CANCEL_LINE else {}
    owed = {n: owed_amounts(a, cancelled=cancelled.get(n, 0)) for n, a in lines.items()}
    if cancelled and not any(a.quantity for a in owed.values()):
        # Not one unit left to promise: refused, as a channel without backorders refuses.
        raise insufficient_stock(demands, plan, {v: k for k, v in ctx.sku_ids.items()})
    totals = order_totals(list(owed.values()), shipping_minor)
    if paid_with_credit and cancelled:
        # Store credit is drawn for what is owed, not for the units cancelled short.
        payment_minor = min(payment_minor, totals.total_minor)
    payment = check_payment(payload.payment.status, payment_minor, totals.total_minor)
    draft = OrderDraft(
        org_id=org_id,
        channel=channel.code,
        customer_email=payload.customer.email,
        shipping_address=shipping_address,
        billing_address=_address(payload.billing_address),
        total_minor=totals.total_minor,
        currency=payload.currency,
        payment_reference=payload.payment.reference,
        delivery_method=payload.delivery_method.value,
        line_count=len(payload.lines),
        tags=tuple(payload.tags),
        notes=payload.notes,
        rule_settings=ctx.fraud_rules,
    )
    verdict = await screen_order(conn, draft)
    fraud = CheckResult(
        "fraud",
        not verdict.needs_review(ctx.fraud_hold_threshold),
        verdict.describe(ctx.fraud_hold_threshold),
        HoldReason.FRAUD_REVIEW if verdict.needs_review(ctx.fraud_hold_threshold) else None,
    )
    checks = (availability, payment, shipping, fraud)
    holds = [c.hold for c in checks if c.hold is not None]
    backordered = bool(plan.shortfalls) and on_short is not BackorderPolicy.CANCEL_LINE
    status = initial_status(holds, short=backordered or not shipping.passed)
    number = f"SO-{ctx.order_number}"
    locations = {c.id: c.code for c in snapshot.candidates}
    events: list[tuple[str, dict[str, Any]]] = [
        ("order.captured", {"channel": channel.code, "lines": len(payload.lines)}),
        *(
            (f"check.{c.check}", {"passed": c.passed, "detail": c.detail, "hold": c.hold})
            for c in checks
        ),
        ("sourcing.decided", sourcing.decision_record(plan, locations)),
        (f"order.{status.value}", {"hold_reasons": [h.value for h in holds]}),
    ]
    order_values: dict[str, Any] = {
        "id": ctx.order_id,
        "org_id": org_id,
        "number": number,
        "channel_id": channel.id,
        "external_id": payload.external_id,
        "status": status.value,
        "currency": payload.currency,
        "email": payload.customer.email,
        "customer_name": payload.customer.name,
        "customer_phone": payload.customer.phone,
        "billing_address": _address(payload.billing_address),
        "shipping_address": shipping_address,
        "delivery_method": payload.delivery_method.value,
        "pickup_location_id": pickup_id,
        "subtotal_minor": totals.subtotal_minor,
        "discount_minor": totals.discount_minor,
        "tax_minor": totals.tax_minor,
        "shipping_minor": totals.shipping_minor,
        "total_minor": totals.total_minor,
        "payment_status": payload.payment.status.value,
        "payment_amount_minor": payment_minor,
        "payment_method": payload.payment.method,
        "payment_reference": payload.payment.reference,
        "hold_reasons": [h.value for h in holds],
        "notes": payload.notes,
        "tags": payload.tags,
        "requested_delivery_date": payload.requested_delivery_date,
    }
    new_lines = [
        order_write.NewOrderLine(
            line_no=n,
            sku_id=ctx.sku_ids[payload.lines[n - 1].sku],
            quantity=lines[n].quantity,
            unit_price_minor=amounts.unit_price_minor,
            discount_minor=amounts.discount_minor,
            tax_minor=amounts.tax_minor,
            total_minor=amounts.total_minor,
            cancelled_quantity=cancelled.get(n, 0),
        )
        for n, amounts in owed.items()
    ]
    created_at = ctx.captured_at
    await order_write.insert_order(
        conn,
        order=order_values,
        lines=new_lines,
        allocations=plan.allocations,
        events=events,
        actor=principal.actor,
        at_commit=write_at_commit,
        reserve_last=any(a.sku_id in ctx.high_demand_skus for a in plan.allocations),
    )
    if paid_with_credit and payment_minor > 0:
        payments.spend_store_credit(
            conn,
            principal,
            order_id=ctx.order_id,
            currency=payload.currency,
            amount_minor=payment_minor,
        )
    if status is OrderStatus.ALLOCATED:
        fulfillment.open_for_captured_order(
            conn, org_id=org_id, order_id=ctx.order_id, allocations=plan.allocations
        )
    row = {
        **order_values,
        "channel_code": channel.code,
        "customer_email": payload.customer.email,
        "pickup_code": payload.pickup_location if pickup_id is not None else None,
        "cancel_reason": None,
        "created_at": created_at,
        "updated_at": created_at,
        "lines": [
            {
                "line_no": line.line_no,
                "sku": payload.lines[line.line_no - 1].sku,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "discount_minor": line.discount_minor,
                "tax_minor": line.tax_minor,
                "total_minor": line.total_minor,
                "cancelled_quantity": line.cancelled_quantity,
            }
            for line in new_lines
        ],
        "allocations": [
            {
                "line_no": a.line_no,
                "location": locations[a.location_id],
                "quantity": a.quantity,
                "status": "reserved",
            }
            for a in plan.allocations
        ],
    }
    return Captured(order_out(row), created=True)


def _minor(amount: str, currency: str, field: str) -> int:
    try:
        return to_minor(amount, currency)
    except MoneyError as exc:
        raise InvalidAmount(str(exc), field=field) from None


def _check_store_credit_payment(payload: OrderIn) -> None:
    """Store credit is drawn when the order is captured, from the balance of the customer with
    the order's e-mail address (required of every order)."""
    if payload.payment.status is not PaymentStatus.CAPTURED:
        raise StoreCreditPaymentInvalid(
            "a payment with store credit is drawn at capture: send status 'captured'",
            field="payment.status",
        )


def _line_amounts(payload: OrderIn) -> dict[int, LineAmounts]:
    try:
        currency_exponent(payload.currency)
    except MoneyError as exc:
        raise InvalidCurrency(str(exc), field="currency") from None
    amounts: dict[int, LineAmounts] = {}
    for n, line in enumerate(payload.lines, start=1):
        field = f"lines.{n - 1}"
        a = LineAmounts(
            quantity=line.quantity,
            unit_price_minor=_minor(line.unit_price, payload.currency, f"{field}.unit_price"),
            discount_minor=_minor(line.discount, payload.currency, f"{field}.discount"),
            tax_minor=_minor(line.tax, payload.currency, f"{field}.tax"),
        )
        if a.discount_minor > a.gross_minor:
            raise InvalidAmount(
                "the discount is larger than the line's price", field=f"{field}.discount"
            )
        amounts[n] = a
    return amounts


def _demands(
    payload: OrderIn,
    sku_ids: dict[str, int],
    inactive: frozenset[str],
    *,
    prices: dict[int, int],
    weights: dict[str, int],
) -> tuple[LineDemand, ...]:
    demands = []
    for n, line in enumerate(payload.lines, start=1):
        if line.sku not in sku_ids:
            raise UnknownSku(f"no SKU {line.sku!r}", field=f"lines.{n - 1}.sku")
        if line.sku in inactive:
            raise UnknownSku(
                f"SKU {line.sku!r} is inactive", code="sku_inactive", field=f"lines.{n - 1}.sku"
            )
        demands.append(
            LineDemand(n, sku_ids[line.sku], line.quantity, prices[n], weights.get(line.sku, 0))
        )
    return tuple(demands)


def _pickup_location_id(
    payload: OrderIn, pickup: tuple[int, str, tuple[str, ...]] | None
) -> int | None:
    if payload.delivery_method is not DeliveryMethod.PICKUP:
        return None
    if pickup is None:
        raise PickupNotAvailable(
            f"no active location {payload.pickup_location!r}", field="pickup_location"
        )
    if "pickup" not in pickup[2]:
        raise PickupNotAvailable(
            f"{pickup[1]} does not offer store pickup", field="pickup_location"
        )
    return pickup[0]


def _address(address: Any) -> dict[str, Any] | None:
    return None if address is None else address.model_dump(exclude_none=True)
