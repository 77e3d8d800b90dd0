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
from orderly.fulfillment import outside_port, repository, service, steps
from orderly.fulfillment.domain import FulfillmentStatus, ParcelStatus, ensure_transition
from orderly.fulfillment.errors import (
    InvalidLines,
    LabelsBeingBought,
    LabelsNotBought,
    NothingToShip,
    PickupOrderNotShipped,
)
from orderly.fulfillment.repository import FulfillmentRow
from orderly.fulfillment.schemas import FulfillmentOrderOut
from orderly.fulfillment.shipping_port import (
    GoodsLine,
    LabelBuyer,
    LabelRequest,
    ParcelSpec,
    PendingLabels,
    ReadyLabels,
    label_buyer,
)
from orderly.inventory.reservations import StockRequest
from orderly.inventory.shipments import ship_stock
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.idempotency import KeyAcrossTransactions
from orderly.locations import service as locations
from orderly.orders.fulfillment_status import OrderForFulfillment, ensure_shippable
from orderly.sourcing.domain import Allocation
from orderly.tenancy.domain import Principal

F = FulfillmentStatus
DEFAULT_RATE_POLICY = "cheapest"


async def ship(
    database: Database,
    principal: Principal,
    fo_id: int,
    *,
    parcel_ids: Sequence[int] | None,
    service_code: str | None,
    idempotency: KeyAcrossTransactions | None = None,
) -> FulfillmentOrderOut:
    """Buy labels for packed parcels (all of them, or those named) and send them: the units
    leave stock, and the order becomes partially_shipped or shipped.

    The carrier is called between two transactions (docs/architecture.md, "Calls to
    carriers"): the first claims the parcels for a label purchase, the second ships them.
    Labels the second cannot use are voided."""
    buyer = label_buyer()
    async with database.transaction() as tx:
        if idempotency is not None:
            await idempotency.check(tx)
        pending, parcel_ids = await _begin(
            tx.connection, buyer, principal, fo_id, parcel_ids, service_code
        )
    try:
        ready = await buyer.buy(database, pending)
    except Exception:
        await _release(database, principal.org_id, pending.purchase_id)
        raise
    try:
        async with database.transaction() as tx:
            out = await _ship_parcels(tx.connection, buyer, principal, fo_id, parcel_ids, ready)
            if idempotency is not None:
                idempotency.remember(tx, (200, out.model_dump_json().encode()))
    except Exception as error:
        reason = getattr(error, "detail", None) or type(error).__name__
        await buyer.give_back(database, ready, reason)
        await _release(database, principal.org_id, pending.purchase_id)
        raise
    return out


async def _begin(
    conn: AsyncConnection,
    buyer: LabelBuyer,
    principal: Principal,
    fo_id: int,
    wanted: Sequence[int] | None,
    service_code: str | None,
) -> tuple[PendingLabels, list[int]]:
    """The first transaction: check the shipment can go, begin the purchase, claim the
    parcels for it."""
    order, fo = await _shippable(conn, principal.org_id, fo_id)
    await outside_port.refuse_if_operated_by_others(
        conn, principal.org_id, fo.location_id, action="ships with its own labels"
    )
    parcels = _parcels_to_ship(
        await repository.parcels_of(conn, principal.org_id, fo.id, for_update=True), wanted
    )
    claimed = [p["label_purchase_id"] for p in parcels if p["label_purchase_id"] is not None]
    if await buyer.still_buying(conn, principal.org_id, claimed):
        raise LabelsBeingBought(
            "labels for these parcels are being bought by another request; try again shortly"
        )
    request = await _label_request(conn, principal, order, fo, parcels, service_code)
    pending = await buyer.begin(conn, request)
    ids = [p["id"] for p in parcels]
    await repository.claim_parcels(conn, ids, pending.purchase_id)
    return pending, ids


async def _ship_parcels(
    conn: AsyncConnection,
    buyer: LabelBuyer,
    principal: Principal,
    fo_id: int,
    parcel_ids: list[int],
    ready: ReadyLabels,
) -> FulfillmentOrderOut:
    """The second transaction: record the labels, and the parcels leave."""
    org_id = principal.org_id
    order, fo = await _shippable(conn, org_id, fo_id)
    by_id = {p["id"]: p for p in await repository.parcels_of(conn, org_id, fo.id, for_update=True)}
    parcels = [by_id[i] for i in parcel_ids]
    if any(
        p["status"] != ParcelStatus.PACKED.value or p["label_purchase_id"] != ready.purchase_id
        for p in parcels
    ):
        raise LabelsBeingBought("the parcels changed while their labels were being bought")
    labels = list(await buyer.record(conn, ready))
    if not labels:
        raise LabelsNotBought("the carrier returned no label")
    if len(labels) != len(parcels):
        labels = [labels[0]] * len(parcels)
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


async def _shippable(
    conn: AsyncConnection, org_id: int, fo_id: int
) -> tuple[OrderForFulfillment, FulfillmentRow]:
    order, fo = await steps.lock(conn, org_id, fo_id)
    ensure_transition(F(fo.status), F.SHIPPED)
    if fo.pickup:
        raise PickupOrderNotShipped("a store pickup is collected at the store, not shipped")
    ensure_shippable(order)
    return order, fo


async def _release(database: Database, org_id: int, purchase_id: int) -> None:
    async with database.transaction() as tx:
        await repository.release_parcels(tx.connection, org_id, purchase_id)


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
    ship_to = dict(order.shipping_address or {})
    # Carriers want a way to reach the receiver, customs brokers above all.
    if order.customer_email and not ship_to.get("email"):
        ship_to["email"] = order.customer_email
    if order.customer_phone and not ship_to.get("phone"):
        ship_to["phone"] = order.customer_phone
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
        ship_to=ship_to,
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
        goods=await _goods(conn, principal.org_id, order, fo, parcels),
    )


async def _goods(
    conn: AsyncConnection,
    org_id: int,
    order: OrderForFulfillment,
    fo: FulfillmentRow,
    parcels: list[dict[str, Any]],
) -> tuple[GoodsLine, ...]:
    """What the parcels hold, line by line, valued at what the customer paid."""
    units: dict[int, int] = defaultdict(int)
    for parcel in parcels:
        for item in parcel["items"]:
            units[int(item["line_no"])] += int(item["quantity"])
    order_lines = {x.line_no: x for x in order.lines}
    sku_of = {x.line_no: x.sku_id for x in fo.lines}
    facts = await catalog.customs_facts(conn, org_id, [sku_of[n] for n in units if n in sku_of])
    goods = []
    for line_no, quantity in sorted(units.items()):
        sku = facts.get(sku_of.get(line_no, 0))
        line = order_lines.get(line_no)
        if sku is None or line is None:
            continue
        goods.append(
            GoodsLine(
                sku=sku.code,
                description=sku.name,
                quantity=quantity,
                unit_value_minor=line.unit_paid_minor,
                currency=order.currency,
                unit_weight_grams=sku.weight_grams,
                hs_code=sku.hs_code or "",
                origin_country=sku.country_of_origin or "",
            )
        )
    return tuple(goods)
