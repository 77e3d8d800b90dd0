"""Fulfillment's label port filled by the shipping feature: a fulfillment order's parcels become
one label purchase (`shipping.label_purchases`) and one shipment per parcel."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import shipping_port
from orderly.fulfillment.shipping_port import (
    BoughtLabel,
    LabelRequest,
    PendingLabels,
    ReadyLabels,
    SentElsewhere,
)
from orderly.kit.db import Database
from orderly.shipping import customs, label_purchases
from orderly.shipping import repository as shipping_repository
from orderly.shipping.domain import Parcel, ShipmentRequest
from orderly.shipping.label_purchases import Bought, Purchase


def install() -> None:
    """Fill fulfillment's label port with this feature's buyer."""
    shipping_port.install_shipping(ShippingLabels())


class ShippingLabels:
    """The label buyer of a fulfillment order, through the organization's carriers."""

    async def begin(self, conn: AsyncConnection, request: LabelRequest) -> PendingLabels:
        shipment = ShipmentRequest(
            org_id=request.org_id,
            ship_from=request.ship_from,
            ship_to=request.ship_to,
            parcels=[
                Parcel(p.weight_grams, p.length_mm, p.width_mm, p.height_mm)
                for p in request.parcels
            ],
            ship_date=request.ship_date,
            reference=request.reference,
            hazmat=request.hazmat,
            customs=customs.declaration(
                str(request.ship_from.get("country") or ""),
                str(request.ship_to.get("country") or ""),
                request.goods,
            ),
        )
        purchase = await label_purchases.begin(
            conn,
            request.org_id,
            order_id=request.order_id,
            fulfillment_order_id=request.fulfillment_order_id,
            request=shipment,
            service=request.service,
            policy=request.policy,
            promise_date=request.promise_date,
            actor=request.actor,
        )
        return PendingLabels(purchase.id, purchase)

    async def buy(self, database: Database, pending: PendingLabels) -> ReadyLabels:
        purchase: Purchase = pending.held
        return ReadyLabels(purchase.id, await label_purchases.buy(database, purchase))

    async def record(self, conn: AsyncConnection, ready: ReadyLabels) -> Sequence[BoughtLabel]:
        bought: Bought = ready.held
        views = await label_purchases.record(conn, bought)
        return [BoughtLabel(v.id, v.tracking_number, v.carrier, v.service) for v in views]

    async def give_back(self, database: Database, ready: ReadyLabels, reason: str) -> None:
        bought: Bought = ready.held
        await label_purchases.give_back(database, bought, reason)

    async def still_buying(
        self, conn: AsyncConnection, org_id: int, purchase_ids: Sequence[int]
    ) -> set[int]:
        return await label_purchases.still_buying(conn, org_id, purchase_ids)

    async def record_sent_elsewhere(self, conn: AsyncConnection, parcel: SentElsewhere) -> int:
        return await record_sent_elsewhere(conn, parcel)


async def record_sent_elsewhere(conn: AsyncConnection, parcel: SentElsewhere) -> int:
    """A shipment with no carrier account of ours and no label: the provider bought it. It is
    in transit already, and tracking events pushed for its number move it on."""
    return await shipping_repository.insert_shipment_sent_elsewhere(
        conn,
        {
            "org_id": parcel.org_id,
            "order_id": parcel.order_id,
            "fulfillment_order_id": parcel.fulfillment_order_id,
            "carrier_account_id": None,
            "carrier": parcel.carrier,
            "service": parcel.service,
            "service_name": f"{parcel.carrier} {parcel.service}".strip(),
            "tracking_number": parcel.tracking_number,
            "status": "in_transit",
            "cost_minor": 0,
            "currency": parcel.currency,
            "weight_grams": 0,
            "reference": f"sent by the provider (fulfillment order {parcel.fulfillment_order_id})",
            "label_pdf": b"",
            "label_zpl": "",
            "created_by": parcel.actor,
        },
    )
