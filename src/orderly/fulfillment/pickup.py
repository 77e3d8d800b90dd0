"""Store pickup: the store marks a picked order ready and the customer collects it with a
code. A pickup not collected in time expires (`order_flows.pickup_expiry` drives it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.fulfillment import repository, service, steps
from orderly.fulfillment.dispatch import send_units
from orderly.fulfillment.domain import (
    DEFAULT_PICKUP_EXPIRY_DAYS,
    FulfillmentStatus,
    PickupCodeKey,
    ensure_transition,
    new_pickup_nonce,
)
from orderly.fulfillment.errors import InvalidPickupCode, NotAPickupOrder
from orderly.fulfillment.models import fulfillment_orders
from orderly.fulfillment.repository import FulfillmentRow
from orderly.fulfillment.schemas import FulfillmentOrderOut, fulfillment_out
from orderly.kit.clock import utcnow
from orderly.kit.errors import IllegalTransition
from orderly.orders import rerouting
from orderly.orders.fulfillment_status import OrderForFulfillment, ensure_shippable
from orderly.sourcing.domain import Allocation
from orderly.tenancy.domain import Principal

F = FulfillmentStatus
fo_table = fulfillment_orders


async def ready_for_pickup(
    conn: AsyncConnection, principal: Principal, fo_id: int, *, secret: str
) -> FulfillmentOrderOut:
    """The units are picked and wait at the counter: make the customer's pickup code. It is
    derived from `secret` and a nonce on the timeline event, and only its keyed hash is kept;
    the code is in this response and in the customer's message (`customer_pickup_code`)."""
    org_id = principal.org_id
    order, fo = await steps.lock(conn, org_id, fo_id)
    if not fo.pickup:
        raise NotAPickupOrder("this fulfillment order ships; it is not collected at a store")
    ensure_transition(F(fo.status), F.READY_FOR_PICKUP)
    if fo.picked_at is None:
        await repository.set_picked(conn, fo.id, {x.line_no: x.wanted for x in fo.lines})
    channel = await channels.get_channel(conn, org_id, order.channel_id)
    days = _expiry_days(channel.settings.get("pickup_expiry_days"))
    expires_at = utcnow() + timedelta(days=days)
    nonce = new_pickup_nonce()
    key = PickupCodeKey(secret, org_id, fo.id)
    code = key.code(nonce)
    await steps.move(
        conn,
        principal,
        order,
        fo,
        F.READY_FOR_PICKUP,
        ready_at=sa.func.now(),
        picked_at=sa.func.coalesce(fo_table.c.picked_at, sa.func.now()),
        pickup_code_hash=key.hash(code),
        pickup_expires_at=expires_at,
        data={"pickup_nonce": nonce, "expires_at": expires_at.isoformat()},
    )
    rows = await repository.views(conn, org_id, [fo_id])
    return fulfillment_out(rows[0], pickup_code=code)


def customer_pickup_code(secret: str, org_id: int, event: dict[str, object]) -> str | None:
    """The code of a `fulfillment.ready_for_pickup` event's pickup, for the customer's message."""
    fo_id, nonce = event.get("fulfillment_order_id"), event.get("pickup_nonce")
    if not isinstance(fo_id, int) or not isinstance(nonce, str):
        return None
    return PickupCodeKey(secret, org_id, fo_id).code(nonce)


async def collect(
    conn: AsyncConnection, principal: Principal, fo_id: int, code: str, *, secret: str
) -> FulfillmentOrderOut:
    """The customer shows the code and takes the units: they leave stock, and the fulfillment
    order and (when it was the last) the order are delivered."""
    org_id = principal.org_id
    order, fo = await steps.lock(conn, org_id, fo_id)
    if not fo.pickup:
        raise NotAPickupOrder("this fulfillment order ships; it is not collected at a store")
    if fo.status != F.READY_FOR_PICKUP.value:
        raise IllegalTransition(
            f"a fulfillment order that is {fo.status} cannot be picked up",
            extra={"current_status": fo.status, "target": F.DELIVERED.value},
        )
    if fo.pickup_code_hash is None or not PickupCodeKey(secret, org_id, fo.id).matches(
        code, fo.pickup_code_hash
    ):
        raise InvalidPickupCode("the pickup code does not match", field="code")
    ensure_shippable(order)
    units = {x.line_no: x.open for x in fo.lines if x.open > 0}
    leaving = await send_units(conn, principal, order, fo, units, reason="picked_up")
    await steps.move(
        conn,
        principal,
        order,
        fo,
        F.DELIVERED,
        shipped_at=sa.func.now(),
        delivered_at=sa.func.now(),
        data={"picked_up": True, "units": {str(k): v for k, v in sorted(units.items())}},
    )
    await steps.record_progress(conn, principal, order, leaving)
    return await service.get_fulfillment_order(conn, org_id, fo_id)


async def pickups_due(conn: AsyncConnection, now: datetime) -> list[tuple[int, int]]:
    """(organization, fulfillment order) of the pickups not collected by their expiry, in
    every organization, the longest overdue first: at most 500 a run."""
    due = await conn.execute(
        sa.select(fo_table.c.org_id, fo_table.c.id)
        .where(
            fo_table.c.status == F.READY_FOR_PICKUP.value,
            fo_table.c.pickup_expires_at <= now,
        )
        .order_by(fo_table.c.pickup_expires_at)
        .limit(500)
    )
    return [(org_id, fo_id) for org_id, fo_id in due]


@dataclass(frozen=True, slots=True)
class ExpiredPickup:
    """A pickup past its expiry, with its order; both are locked."""

    order: OrderForFulfillment
    fo: FulfillmentRow


async def mark_expired(
    conn: AsyncConnection, principal: Principal, fo_id: int, now: datetime
) -> ExpiredPickup | None:
    """Lock the pickup and its order and, when it is still due, tell the order's timeline that
    it expired. None when it was collected or cancelled in the meantime."""
    order, fo = await steps.lock(conn, principal.org_id, fo_id)
    still_due = (
        await conn.execute(
            sa.select(fo_table.c.id).where(
                fo_table.c.id == fo_id,
                fo_table.c.status == F.READY_FOR_PICKUP.value,
                fo_table.c.pickup_expires_at <= now,
            )
        )
    ).first()
    if still_due is None:
        return None
    await steps.event(conn, principal, order, "fulfillment.pickup_expired", fo, {})
    return ExpiredPickup(order, fo)


async def cancel_expired(
    conn: AsyncConnection, principal: Principal, expired: ExpiredPickup, *, reason: str
) -> dict[int, int]:
    """Cancel the pickup alone and give its units' stock back; returns the units per line."""
    order, fo = expired.order, expired.fo
    units = [
        Allocation(x.line_no, x.sku_id, fo.location_id, x.open) for x in fo.lines if x.open > 0
    ]
    await steps.move(conn, principal, order, fo, F.CANCELLED, cancel_reason=reason)
    await rerouting.give_back_units(conn, principal, order.id, units=units, reason=reason)
    return {u.line_no: u.quantity for u in units}


def _expiry_days(setting: object) -> int:
    if isinstance(setting, int) and not isinstance(setting, bool) and setting > 0:
        return setting
    return DEFAULT_PICKUP_EXPIRY_DAYS
