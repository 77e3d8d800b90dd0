"""Fulfillment orders at a location operated by others: what is sent to the provider, and the
provider's news applied with the same steps as our own (accept, ship with tracking, reject)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import repository, service, steps
from orderly.fulfillment.dispatch import send_units
from orderly.fulfillment.domain import (
    OPEN_STATUSES,
    FulfillmentStatus,
    ParcelStatus,
    RejectReason,
    ensure_transition,
)
from orderly.fulfillment.errors import NothingToShip
from orderly.fulfillment.shipping_port import SentElsewhere, label_buyer
from orderly.orders.fulfillment_status import (
    OrderForFulfillment,
    ensure_shippable,
    order_for_fulfillment,
)
from orderly.tenancy.domain import Principal

F = FulfillmentStatus
# Statuses in which a provider still has everything to do: not picked or packed by us.
SENDABLE = frozenset({F.PENDING, F.ACCEPTED})
# A parcel the provider packed: we know its tracking, not its box.
PROVIDER_BOX = "provider"


@dataclass(frozen=True, slots=True)
class OutsideLine:
    line_no: int
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OutsideOrder:
    """What a provider needs to send one fulfillment order to the customer."""

    fulfillment_order_id: int
    order_id: int
    order_number: str
    location_id: int
    location: str
    status: str
    ship_to: Mapping[str, Any]
    customer_name: str | None
    customer_email: str | None
    lines: tuple[OutsideLine, ...]


@dataclass(frozen=True, slots=True)
class OutsideParcel:
    """A parcel the provider sent: its tracking, and units per SKU code."""

    tracking_number: str | None
    carrier: str | None
    service: str | None
    units: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Shipped:
    complete: bool
    # Units the provider reported that the fulfillment order did not hold open, per SKU.
    beyond: Mapping[str, int]


async def order_to_send(conn: AsyncConnection, org_id: int, fo_id: int) -> OutsideOrder | None:
    """The fulfillment order, locked, when a provider may still take it (pending or accepted);
    None when it was closed or moved on meanwhile."""
    fo = await repository.fulfillment_row(conn, org_id, fo_id, for_update=True)
    if fo is None or F(fo.status) not in SENDABLE:
        return None
    order = await order_for_fulfillment(conn, org_id, fo.order_id)
    names = await repository.sku_names(conn, [x.sku_id for x in fo.lines])
    codes = {x.sku_id: x.sku for x in order.lines}
    return OutsideOrder(
        fulfillment_order_id=fo.id,
        order_id=order.id,
        order_number=order.number,
        location_id=fo.location_id,
        location=fo.location_code,
        status=fo.status,
        ship_to=dict(order.shipping_address or {}),
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        lines=tuple(
            OutsideLine(x.line_no, codes[x.sku_id], names.get(x.sku_id, codes[x.sku_id]), x.open)
            for x in fo.lines
            if x.open > 0
        ),
    )


async def is_open(conn: AsyncConnection, org_id: int, fo_id: int) -> bool:
    fo = await repository.fulfillment_row(conn, org_id, fo_id)
    return fo is not None and F(fo.status) in OPEN_STATUSES


async def accept_by_provider(conn: AsyncConnection, principal: Principal, fo_id: int) -> bool:
    """The provider took the order: a pending fulfillment order becomes accepted (anything
    further along is left as it is). True when it moved."""
    order, fo = await steps.lock(conn, principal.org_id, fo_id)
    if fo.status != F.PENDING.value:
        return False
    await steps.move(conn, principal, order, fo, F.ACCEPTED, accepted_at=sa.func.now())
    return True


async def ship_by_provider(
    conn: AsyncConnection, principal: Principal, fo_id: int, parcels: Sequence[OutsideParcel]
) -> Shipped:
    """Parcels the provider sent leave our stock exactly as our own do (`send_units`, ledger
    `shipped`), with their tracking on the fulfillment order's parcels, so the customer's
    message and the sales platform's push follow. A pending order is accepted first."""
    order, fo = await steps.lock(conn, principal.org_id, fo_id)
    ensure_shippable(order)
    if fo.status == F.PENDING.value:
        await steps.move(conn, principal, order, fo, F.ACCEPTED, accepted_at=sa.func.now())
        order, fo = await steps.lock(conn, principal.org_id, fo_id)
    ensure_transition(F(fo.status), F.SHIPPED)
    open_units = {x.line_no: x.open for x in fo.lines}
    codes = {x.sku_id: x.sku for x in order.lines}
    lines_of: dict[str, list[int]] = {}
    for x in fo.lines:
        lines_of.setdefault(codes[x.sku_id], []).append(x.line_no)
    beyond: dict[str, int] = {}
    shipped: dict[int, int] = {}
    recorded: list[dict[str, Any]] = []
    for parcel in parcels:
        items: dict[int, int] = {}
        for sku, units in parcel.units.items():
            left = units
            for line_no in lines_of.get(sku, []):
                take = min(left, open_units[line_no])
                if take:
                    items[line_no] = items.get(line_no, 0) + take
                    open_units[line_no] -= take
                    left -= take
            if left:
                beyond[sku] = beyond.get(sku, 0) + left
        if items:
            recorded.append(await _parcel(conn, principal, order, fo.id, parcel, items))
            for line_no, units in items.items():
                shipped[line_no] = shipped.get(line_no, 0) + units
    if not shipped:
        raise NothingToShip("the provider's parcels hold nothing this fulfillment order owes")
    leaving = await send_units(conn, principal, order, fo, shipped, reason="shipped")
    complete = all(units == 0 for units in open_units.values())
    data: dict[str, Any] = {"parcels": recorded, "units": steps.by_line(shipped)}
    if complete:
        await steps.move(conn, principal, order, fo, F.SHIPPED, shipped_at=sa.func.now(), data=data)
    else:
        await steps.event(conn, principal, order, "fulfillment.partially_shipped", fo, data)
    await steps.record_progress(conn, principal, order, leaving)
    return Shipped(complete=complete, beyond=beyond)


async def _parcel(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    fo_id: int,
    parcel: OutsideParcel,
    items: dict[int, int],
) -> dict[str, Any]:
    """A parcel recorded packed, then shipped: the same move a parcel of ours makes, which is
    what the sales platforms' fulfillment push listens for. With a tracking number, it is also
    a shipment the customer can follow (the tracking page, pushed tracking events)."""
    org_id = principal.org_id
    shipment_id = None
    if parcel.tracking_number:
        shipment_id = await label_buyer().record_sent_elsewhere(
            conn,
            SentElsewhere(
                org_id=org_id,
                order_id=order.id,
                fulfillment_order_id=fo_id,
                tracking_number=parcel.tracking_number,
                carrier=parcel.carrier or "",
                service=parcel.service or "",
                currency=order.currency or "USD",
                actor=principal.actor,
            ),
        )
    parcel_id = await repository.insert_parcel(
        conn,
        org_id,
        fo_id,
        {
            "box_code": PROVIDER_BOX,
            "length_mm": 0,
            "width_mm": 0,
            "height_mm": 0,
            "weight_grams": 0,
            "items": [{"line_no": k, "quantity": v} for k, v in sorted(items.items())],
        },
    )
    await repository.update_parcel(
        conn,
        parcel_id,
        status=ParcelStatus.SHIPPED.value,
        shipment_id=shipment_id,
        tracking_number=parcel.tracking_number,
        carrier=parcel.carrier,
        service=parcel.service,
        shipped_at=sa.func.now(),
    )
    return {"id": parcel_id, "tracking_number": parcel.tracking_number, "carrier": parcel.carrier}


async def reject_by_provider(
    conn: AsyncConnection, principal: Principal, fo_id: int, *, note: str
) -> bool:
    """The provider will not send what is still open: it is released and sourced again
    elsewhere, as any rejection. False when nothing was open any more."""
    fo = await repository.fulfillment_row(conn, principal.org_id, fo_id)
    if fo is None or F(fo.status) not in (F.PENDING, F.ACCEPTED):
        return False
    await service.reject(conn, principal, fo_id, reason=RejectReason.OTHER, lines=None, note=note)
    return True
