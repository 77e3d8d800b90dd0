"""Order capture: read the context, price, plan, verify, build and write an order, in one
transaction.

Its round trips (one before the write, which travels with COMMIT) and why: docs/architecture.md,
"Fewer round trips on the capture path". The steps stay together so that the use case reads top
to bottom in one file; pricing the request is `capture_pricing`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from orderly.channels.domain import DEFAULT_FULFILLMENT_KINDS
from orderly.fulfillment import service as fulfillment
from orderly.inventory.reservations import (
    AvailabilitySnapshot,
    capture_snapshot_query,
    snapshot_from,
)
from orderly.kit.db import Transaction
from orderly.order_flows.capture_payments import (
    check_store_credit_tenders,
    summary,
    tender_records,
)
from orderly.order_flows.capture_pricing import Priced, price
from orderly.orders import order_write, queries, repository
from orderly.orders.allocation import insufficient_stock, plan_sourcing
from orderly.orders.domain import (
    CheckResult,
    DeliveryMethod,
    HoldReason,
    LineAmounts,
    OrderStatus,
    OrderTotals,
    PaymentStatus,
    check_availability,
    check_payment,
    check_shipping,
    initial_status,
    order_totals,
    owed_amounts,
)
from orderly.orders.errors import OrderNotFound
from orderly.orders.fraud import OrderDraft, screen_order
from orderly.orders.presenters import order_out, stored_order_out
from orderly.orders.records import AllocationRecord, LineRecord, OrderRecord, PaymentRecord
from orderly.orders.repository import CaptureContext
from orderly.orders.schemas import OrderIn, OrderOut
from orderly.payments import service as payments
from orderly.sourcing import service as sourcing
from orderly.sourcing.config import BackorderPolicy
from orderly.sourcing.domain import (
    Destination,
    SourcingPlan,
    SourcingStrategy,
)
from orderly.tenancy.domain import Principal


@dataclass(frozen=True, slots=True)
class Captured:
    order: OrderOut
    created: bool


async def capture_order(
    tx: Transaction,
    principal: Principal,
    payload: OrderIn,
    *,
    strategy: SourcingStrategy | None = None,
    paid_elsewhere: BackorderPolicy | None = None,
) -> Captured:
    """Capture one order, or answer the channel's order captured before (``created`` False).

    The order is written with COMMIT: a caller that reads it in the same transaction sends the
    write first (`Transaction.send_queued`). ``strategy`` replaces the channel's routing.
    ``paid_elsewhere`` is for an order its customer already paid on a sales platform: it is
    never refused for want of stock, and its short units are backordered or it is held."""
    check_store_credit_tenders(payload)
    ctx, snapshot = await _read_context(tx, principal.org_id, payload)
    if ctx.existing_order_id is not None:
        return Captured(await _captured_before(tx, principal.org_id, ctx), created=False)
    priced = price(payload, ctx)
    planned = _plan(payload, ctx, snapshot, priced, strategy, paid_elsewhere)
    verified = await _verify(tx, principal, payload, ctx, planned)
    order = _build(principal, payload, ctx, snapshot, priced, planned, verified)
    events = _timeline(payload, ctx, snapshot, planned, verified)
    _write(tx, principal, order, events, ctx, planned.plan)
    return Captured(order_out(order), created=True)


# The steps -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Planned:
    """Where the units come from, what the order owes once short units are cancelled (under
    the cancel_line policy), and the availability and shipping checks."""

    plan: SourcingPlan
    backordered: bool
    cancelled: dict[int, int]
    owed: dict[int, LineAmounts]
    totals: OrderTotals
    payments: tuple[PaymentRecord, ...]
    shipping: CheckResult
    availability: CheckResult


@dataclass(frozen=True, slots=True)
class _Verified:
    checks: tuple[CheckResult, ...]
    holds: list[HoldReason]
    status: OrderStatus


async def _read_context(
    tx: Transaction, org_id: int, payload: OrderIn
) -> tuple[CaptureContext, AvailabilitySnapshot]:
    """The channel, SKUs, pickup location, settings and the availability snapshot, which locks
    the stock rows the order could use, in one round trip."""
    pickup = payload.delivery_method is DeliveryMethod.PICKUP
    destination = _destination(payload)
    sku_codes = sorted({line.sku for line in payload.lines})
    *_, context_rows, snapshot_rows = await tx.fetch_together(
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
    return repository.capture_context_from(context_rows, payload.channel), snapshot_from(
        snapshot_rows
    )


async def _captured_before(tx: Transaction, org_id: int, ctx: CaptureContext) -> OrderOut:
    assert ctx.existing_order_id is not None
    existing = await queries.order_row(tx.connection, org_id, ctx.existing_order_id)
    if existing is None:  # pragma: no cover - the external id's lock makes this impossible
        raise OrderNotFound("the existing order vanished")
    return stored_order_out(existing)


def _plan(
    payload: OrderIn,
    ctx: CaptureContext,
    snapshot: AvailabilitySnapshot,
    priced: Priced,
    strategy: SourcingStrategy | None,
    paid_elsewhere: BackorderPolicy | None = None,
) -> _Planned:
    channel = ctx.channel
    # The routing engine under the channel's configuration (read with the context).
    routing = strategy or sourcing.routing_for(
        ctx.routing_config,
        delivery_method=payload.delivery_method.value,
        pickup_location_id=priced.pickup_location_id,
        promise_date=payload.requested_delivery_date,
        channel=channel.code,
    )
    on_short = paid_elsewhere or sourcing.backorder_policy(routing)
    allow_backorders = channel.allow_backorders or paid_elsewhere is BackorderPolicy.BACKORDER
    shipping = check_shipping(
        method=payload.delivery_method,
        address=_address(payload.shipping_address),
        candidate_count=len(snapshot.candidates),
        pickup_code=payload.pickup_location,
    )
    plan = SourcingPlan((), {})
    if shipping.passed:
        plan = plan_sourcing(
            demands=priced.demands,
            destination=_destination(payload),
            snapshot=snapshot,
            allow_shortfall=allow_backorders or on_short is not BackorderPolicy.BACKORDER,
            strategy=routing,
            sku_codes_by_id={v: k for k, v in ctx.sku_ids.items()},
        )
    availability = (
        check_availability(
            dict(plan.shortfalls), allow_backorders=allow_backorders, on_short=on_short
        )
        if shipping.passed
        else CheckResult("availability", False, "not sourced until shipping is resolved")
    )
    # Under the cancel_line policy the short units leave the line: they are neither owed
    # nor sourced again.
    cancelled = dict(plan.shortfalls) if on_short is BackorderPolicy.CANCEL_LINE else {}
    owed = {n: owed_amounts(a, cancelled=cancelled.get(n, 0)) for n, a in priced.lines.items()}
    if cancelled and not any(a.quantity for a in owed.values()):
        # Not one unit left to promise: refused, as a channel without backorders refuses.
        raise insufficient_stock(priced.demands, plan, {v: k for k, v in ctx.sku_ids.items()})
    totals = order_totals(list(owed.values()), priced.shipping_minor)
    tenders = tender_records(
        payload,
        priced.tender_minor,
        total_minor=totals.total_minor,
        short_cancelled=bool(cancelled),
        channel_provider=ctx.payment_provider,
        account_id=ctx.payment_account_id,
        account_multicapture=ctx.payment_multicapture,
        captured_at=ctx.captured_at,
    )
    return _Planned(
        plan=plan,
        backordered=bool(plan.shortfalls) and on_short is not BackorderPolicy.CANCEL_LINE,
        cancelled=cancelled,
        owed=owed,
        totals=totals,
        payments=tenders,
        shipping=shipping,
        availability=availability,
    )


async def _verify(
    tx: Transaction,
    principal: Principal,
    payload: OrderIn,
    ctx: CaptureContext,
    planned: _Planned,
) -> _Verified:
    """The four checks (availability, payment, shipping, fraud), the holds they put on the
    order, and its first status."""
    total_minor = planned.totals.total_minor
    paid = sum(p.amount_minor for p in planned.payments)
    payment = check_payment(_payment_status(payload, planned), paid, total_minor)
    draft = OrderDraft(
        org_id=principal.org_id,
        channel=ctx.channel.code,
        customer_email=payload.customer.email,
        shipping_address=_address(payload.shipping_address),
        billing_address=_address(payload.billing_address),
        total_minor=total_minor,
        currency=payload.currency,
        payment_reference=payload.tenders[0].reference,
        delivery_method=payload.delivery_method.value,
        line_count=len(payload.lines),
        tags=tuple(payload.tags),
        notes=payload.notes,
        rule_settings=ctx.fraud_rules,
    )
    verdict = await screen_order(tx.connection, draft)
    needs_review = verdict.needs_review(ctx.fraud_hold_threshold)
    fraud = CheckResult(
        "fraud",
        not needs_review,
        verdict.describe(ctx.fraud_hold_threshold),
        HoldReason.FRAUD_REVIEW if needs_review else None,
    )
    checks = (planned.availability, payment, planned.shipping, fraud)
    holds = [c.hold for c in checks if c.hold is not None]
    short = planned.backordered or not planned.shipping.passed
    return _Verified(checks, holds, initial_status(holds, short=short))


# The record's fields that `_build` makes from the request; every other field named as a field
# of the request is copied as it was sent (external_id, currency, notes, tags, ...).
_BUILT = frozenset({"shipping_address", "billing_address", "delivery_method", "lines", "payments"})
_AS_SENT = tuple(
    name
    for name in OrderIn.model_fields
    if name in {f.name for f in fields(OrderRecord)} and name not in _BUILT
)


def _build(
    principal: Principal,
    payload: OrderIn,
    ctx: CaptureContext,
    snapshot: AvailabilitySnapshot,
    priced: Priced,
    planned: _Planned,
    verified: _Verified,
) -> OrderRecord:
    totals = planned.totals
    locations = {c.id: c.code for c in snapshot.candidates}
    return OrderRecord(
        **{name: getattr(payload, name) for name in _AS_SENT},
        id=ctx.order_id,
        org_id=principal.org_id,
        number=f"SO-{ctx.order_number}",
        channel_id=ctx.channel.id,
        channel_code=ctx.channel.code,
        status=verified.status.value,
        customer_email=payload.customer.email,
        customer_name=payload.customer.name,
        customer_phone=payload.customer.phone,
        billing_address=_address(payload.billing_address),
        shipping_address=_address(payload.shipping_address),
        delivery_method=payload.delivery_method.value,
        pickup_location_id=priced.pickup_location_id,
        pickup_code=payload.pickup_location if priced.pickup_location_id is not None else None,
        subtotal_minor=totals.subtotal_minor,
        discount_minor=totals.discount_minor,
        tax_minor=totals.tax_minor,
        shipping_minor=totals.shipping_minor,
        total_minor=totals.total_minor,
        payment_status=_payment_status(payload, planned).value,
        payment_amount_minor=sum(p.amount_minor for p in planned.payments),
        payment_method=payload.tenders[0].method,
        payment_reference=payload.tenders[0].reference,
        payments=planned.payments,
        hold_reasons=[h.value for h in verified.holds],
        created_at=ctx.captured_at,
        updated_at=ctx.captured_at,
        lines=tuple(
            LineRecord(
                line_no=n,
                sku=payload.lines[n - 1].sku,
                sku_id=ctx.sku_ids[payload.lines[n - 1].sku],
                quantity=priced.lines[n].quantity,
                unit_price_minor=owed.unit_price_minor,
                discount_minor=owed.discount_minor,
                tax_minor=owed.tax_minor,
                total_minor=owed.total_minor,
                cancelled_quantity=planned.cancelled.get(n, 0),
            )
            for n, owed in planned.owed.items()
        ),
        allocations=tuple(
            AllocationRecord(
                a.line_no, a.sku_id, a.location_id, locations[a.location_id], a.quantity
            )
            for a in planned.plan.allocations
        ),
    )


def _timeline(
    payload: OrderIn,
    ctx: CaptureContext,
    snapshot: AvailabilitySnapshot,
    planned: _Planned,
    verified: _Verified,
) -> list[tuple[str, dict[str, Any]]]:
    """The order's first events: captured, each check, the sourcing decision, its status."""
    locations = {c.id: c.code for c in snapshot.candidates}
    return [
        ("order.captured", {"channel": ctx.channel.code, "lines": len(payload.lines)}),
        *(
            (f"check.{c.check}", {"passed": c.passed, "detail": c.detail, "hold": c.hold})
            for c in verified.checks
        ),
        ("sourcing.decided", sourcing.decision_record(planned.plan, locations)),
        (
            f"order.{verified.status.value}",
            {"hold_reasons": [h.value for h in verified.holds]},
        ),
    ]


def _write(
    tx: Transaction,
    principal: Principal,
    order: OrderRecord,
    events: list[tuple[str, dict[str, Any]]],
    ctx: CaptureContext,
    plan: SourcingPlan,
) -> None:
    """Queue for COMMIT the order's write, its payment from store credit and its fulfillment
    orders."""
    order_write.write_order(
        tx,
        order,
        events=events,
        actor=principal.actor,
        reserve_last=any(a.sku_id in ctx.high_demand_skus for a in plan.allocations),
    )
    for tender in order.payments:
        if tender.provider == payments.STORE_CREDIT_PROVIDER and tender.amount_minor > 0:
            payments.spend_store_credit(
                tx,
                principal,
                order_id=order.id,
                currency=order.currency,
                amount_minor=tender.amount_minor,
            )
    if order.status == OrderStatus.ALLOCATED.value:
        fulfillment.open_for_captured_order(
            tx, org_id=order.org_id, order_id=order.id, allocations=plan.allocations
        )


def _payment_status(payload: OrderIn, planned: _Planned) -> PaymentStatus:
    """The order's payment status: its payments' summed up, or as sent when it has none."""
    return summary(planned.payments) if planned.payments else payload.payment.status


def _destination(payload: OrderIn) -> Destination | None:
    a = payload.shipping_address
    if a is None or payload.delivery_method is not DeliveryMethod.SHIP:
        return None
    return Destination(a.country, a.latitude, a.longitude, a.postal_code)


def _address(address: Any) -> dict[str, Any] | None:
    return None if address is None else address.model_dump(exclude_none=True)
