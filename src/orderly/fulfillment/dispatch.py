"""Shipping a packed fulfillment order: labels per parcel, stock out of the door, the order's
status following. Parcels may leave in several goes (a partial shipment)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import service as catalog
from orderly.channels import service as channels
from orderly.fulfillment import repository, service, steps
from orderly.fulfillment.domain import FulfillmentStatus, ParcelStatus, ensure_transition
from orderly.fulfillment.errors import (
    InvalidLines,
    LabelsNotBought,
    NothingToShip,
    PickupOrderNotShipped,
)
from orderly.fulfillment.repository import FulfillmentRow
from orderly.fulfillment.schemas import FulfillmentOrderOut
from orderly.fulfillment.shipping_port import LabelRequest, ParcelSpec, buy_labels
from orderly.inventory.reservations import StockRequest
from orderly.inventory.shipments import ship_stock
from orderly.kit.clock import utcnow
from orderly.locations import service as locations
from orderly.orders.fulfillment_status import OrderForFulfillment, ensure_shippable
from orderly.sourcing.domain import Allocation
from orderly.tenancy.domain import Principal

F = FulfillmentStatus
DEFAULT_RATE_POLICY = "cheapest"


async def ship(
    conn: AsyncConnection,
    principal: Principal,
    fo_id: int,
    *,
    parcel_ids: Sequence[int] | None,
    service_code: str | None,
) -> FulfillmentOrderOut:
    """Buy labels for packed parcels (all of them, or those named) and send them: the units
    leave stock, and the order becomes partially_shipped or shipped."""
    org_id = principal.org_id
    order, fo = await steps.lock(conn, org_id, fo_id)
    ensure_transition(F(fo.status), F.SHIPPED)
    if fo.pickup:
        raise PickupOrderNotShipped("a store pickup is collected at the store, not shipped")
    ensure_shippable(order)
    parcels = _parcels_to_ship(
        await repository.parcels_of(conn, org_id, fo.id, for_update=True), parcel_ids
    )
    request = await _label_request(conn, principal, order, fo, parcels, service_code)
    labels = await buy_labels(conn, request)
    if not labels:
        raise LabelsNotBought("the carrier returned no label")
    shipped_units: dict[int, int] = defaultdict(int)
    for parcel, label in zip(parcels, labels, strict=True):
        await repository.update_parcel(
            conn,
            parcel["id"],
            status=ParcelStatus.SHIPPED.value,
            shipment_id=label.shipment_id,
            tracking_number=label.tracking_number,
            carrier=label.carrier,
            service=label.service,
            shipped_at=sa.func.now(),
        )
        for item in parcel["items"]:
            shipped_units[int(item["line_no"])] += int(item["quantity"])
    leaving = await send_units(conn, principal, order, fo, dict(shipped_units), reason="shipped")
    complete = all(x.shipped + shipped_units.get(x.line_no, 0) >= x.wanted for x in fo.lines)
    data: dict[str, Any] = {
        "parcels": [
            {"id": p["id"], "tracking_number": label.tracking_number, "carrier": label.carrier}
            for p, label in zip(parcels, labels, strict=True)
        ],
        "units": {str(k): v for k, v in sorted(shipped_units.items())},
    }
    if complete:
        await steps.move(conn, principal, order, fo, F.SHIPPED, shipped_at=sa.func.now(), data=data)
    else:
        await steps.event(conn, principal, order, "fulfillment.partially_shipped", fo, data)
    await steps.record_progress(conn, principal, order, leaving)
    return await service.get_fulfillment_order(conn, org_id, fo_id)


async def send_units(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    fo: FulfillmentRow,
    units: dict[int, int],
    *,
    reason: str,
) -> list[Allocation]:
    """Units leave the location's stock (ledger `shipped`) and count as shipped on the lines.
    Returns them as allocations, for the order to mark shipped."""
    skus = {x.line_no: x.sku_id for x in fo.lines}
    leaving = [Allocation(n, skus[n], fo.location_id, q) for n, q in sorted(units.items()) if q]
    await ship_stock(
        conn,
        org_id=principal.org_id,
        requests=[StockRequest(a.sku_id, a.location_id, a.quantity) for a in leaving],
        order_id=order.id,
        reference=f"fulfillment_order:{fo.id}",
        reason=reason,
        actor=principal.actor,
    )
    await repository.add_to_lines(conn, fo.id, "shipped", units)
    return leaving


def _parcels_to_ship(
    parcels: list[dict[str, Any]], wanted: Sequence[int] | None
) -> list[dict[str, Any]]:
    packed = [p for p in parcels if p["status"] == ParcelStatus.PACKED.value]
    if wanted is not None:
        by_id = {p["id"]: p for p in packed}
        for i, parcel_id in enumerate(wanted):
            if parcel_id not in by_id:
                raise InvalidLines(
                    f"parcel {parcel_id} is not a packed parcel of this fulfillment order",
                    field=f"parcels.{i}",
                )
        packed = [by_id[i] for i in dict.fromkeys(wanted)]
    if not packed:
        raise NothingToShip("no packed parcel is waiting to ship")
    return packed


async def _label_request(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    fo: FulfillmentRow,
    parcels: list[dict[str, Any]],
    service_code: str | None,
) -> LabelRequest:
    location = await locations.get_location(conn, principal.org_id, fo.location_id)
    channel = await channels.get_channel(conn, principal.org_id, order.channel_id)
    hazmat = False
    for x in fo.lines:
        hazmat = hazmat or (await catalog.get_product(conn, principal.org_id, x.sku_id)).hazmat
    ship_from = {
        "name": location.name,
        **location.address.model_dump(exclude_none=True),
        "country": location.country,
    }
    return LabelRequest(
        org_id=principal.org_id,
        order_id=order.id,
        fulfillment_order_id=fo.id,
        ship_from=ship_from,
        ship_to=dict(order.shipping_address or {}),
        parcels=tuple(
            ParcelSpec(p["weight_grams"], p["length_mm"], p["width_mm"], p["height_mm"])
            for p in parcels
        ),
        ship_date=utcnow().date(),
        reference=order.number,
        hazmat=hazmat,
        service=service_code,
        policy=str(channel.settings.get("rate_shopping") or DEFAULT_RATE_POLICY),
        promise_date=order.requested_delivery_date,
        actor=principal.actor,
    )
