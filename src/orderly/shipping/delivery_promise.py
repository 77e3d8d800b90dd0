"""The delivery promise: where an order would ship from (sourcing, nothing reserved), and when
it would arrive by the carriers' own transit times, asked outside any transaction.

A storefront asks it before the order exists ("arrives by Thursday"); an operator asks it of an
order already placed."""

from __future__ import annotations

import logging

from orderly.fulfillment import packing
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.money import from_minor
from orderly.kit.vault import Vault
from orderly.locations import service as locations
from orderly.shipping import label_purchases
from orderly.shipping.accounts import org_carriers
from orderly.shipping.domain import Parcel, RateQuote, ShipmentRequest, pick_service
from orderly.shipping.presenters import quote_out
from orderly.shipping.schemas import DeliveryPromiseIn, DeliveryPromiseOut, PromisedShipmentOut
from orderly.sourcing import simulation
from orderly.sourcing.schemas import SimulateIn, SimulationAddressIn

logger = logging.getLogger(__name__)

# A parcel whose box is not known yet: the location's smallest box that takes the weight, else
# this one (millimetres).
DEFAULT_PARCEL_MM = (300, 200, 150)


async def promise(
    database: Database, org_id: int, body: DeliveryPromiseIn, *, vault: Vault | None = None
) -> DeliveryPromiseOut:
    address = body.shipping_address
    async with database.reading() as conn:
        plan = await simulation.simulate(
            conn,
            org_id,
            SimulateIn(
                channel=body.channel,
                lines=body.lines,
                shipping_address=SimulationAddressIn(
                    country=address.country,
                    postal_code=address.postal_code,
                    latitude=address.latitude,
                    longitude=address.longitude,
                ),
                requested_delivery_date=body.requested_delivery_date,
            ),
        )
        carriers = [c for _, c in (await org_carriers(conn, org_id, vault=vault)).values()]
        refs = await locations.locations_by_code(conn, org_id, [s.location for s in plan.shipments])
        requests = []
        for shipment in plan.shipments:
            location = await locations.get_location(conn, org_id, refs[shipment.location].id)
            boxes = await packing.box_catalogue(conn, org_id, shipment.location)
            fitting = sorted(
                (b for b in boxes if b.max_weight_grams >= shipment.weight_grams),
                key=lambda b: b.length_mm * b.width_mm * b.height_mm,
            )
            dims = (
                (fitting[0].length_mm, fitting[0].width_mm, fitting[0].height_mm)
                if fitting
                else DEFAULT_PARCEL_MM
            )
            requests.append(
                ShipmentRequest(
                    org_id=org_id,
                    ship_from={
                        "name": location.name,
                        **location.address.model_dump(exclude_none=True),
                        "country": location.country,
                    },
                    ship_to=address.as_dict(),
                    parcels=[Parcel(max(shipment.weight_grams, 1), *dims)],
                    ship_date=shipment.estimated_ship_date or utcnow().date(),
                )
            )
    promised: list[PromisedShipmentOut] = []
    chosen_quotes: list[RateQuote] = []
    for shipment, request in zip(plan.shipments, requests, strict=True):
        try:
            quotes = await label_purchases.quote_all(carriers, request)
        except OrderlyError as error:
            logger.info("no quote for a shipment from %s: %s", shipment.location, error.detail)
            quotes = []
        chosen = pick_service(quotes, policy=body.policy, promise_date=body.requested_delivery_date)
        if chosen is not None:
            chosen_quotes.append(chosen)
        promised.append(
            PromisedShipmentOut(
                location=shipment.location,
                ship_date=request.ship_date,
                weight_grams=shipment.weight_grams,
                service=quote_out(chosen) if chosen else None,
                quotes=[quote_out(q) for q in quotes],
            )
        )
    every_one_quoted = bool(promised) and len(chosen_quotes) == len(promised)
    arrives_by = max(q.estimated_delivery for q in chosen_quotes) if every_one_quoted else None
    currencies = {q.currency for q in chosen_quotes}
    cost = None
    if every_one_quoted and len(currencies) == 1:
        cost = from_minor(sum(q.price_minor for q in chosen_quotes), currencies.pop())
    return DeliveryPromiseOut(
        shipments=promised,
        arrives_by=arrives_by,
        shipping_cost=cost,
        backordered=plan.backordered,
        sourcing_estimate=plan.estimated_delivery_date,
        on_time=(
            arrives_by <= body.requested_delivery_date
            if arrives_by and body.requested_delivery_date
            else None
        ),
    )
