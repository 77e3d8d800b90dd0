"""Fulfillment's label port filled by the shipping feature: a fulfillment order's parcels
become shipments with bought labels."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import shipping_port
from orderly.fulfillment.shipping_port import BoughtLabel, LabelRequest
from orderly.shipping import service
from orderly.shipping.domain import Parcel, ShipmentRequest


def install() -> None:
    """Fill fulfillment's label port with this feature's buyer."""
    shipping_port.install_shipping(buy_labels_for_fulfillment)


async def buy_labels_for_fulfillment(
    conn: AsyncConnection, request: LabelRequest
) -> list[BoughtLabel]:
    """Buy the labels of a fulfillment order's parcels through the shipping feature."""
    shipment = ShipmentRequest(
        org_id=request.org_id,
        ship_from=request.ship_from,
        ship_to=request.ship_to,
        parcels=[
            Parcel(p.weight_grams, p.length_mm, p.width_mm, p.height_mm) for p in request.parcels
        ],
        ship_date=request.ship_date,
        reference=request.reference,
        hazmat=request.hazmat,
    )
    views = await service.buy_label(
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
    return [_bought(view) for view in views]


def _bought(view: Any) -> BoughtLabel:
    def field(*names: str) -> Any:
        for name in names:
            value = getattr(view, name, None)
            if value is not None:
                return value
        return None

    return BoughtLabel(
        shipment_id=field("id", "shipment_id"),
        tracking_number=field("tracking_number"),
        carrier=field("carrier", "carrier_code"),
        service=field("service", "service_code"),
    )
