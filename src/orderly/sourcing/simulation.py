"""Run the engine on a hypothetical or existing order under any configuration; reserve nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import service as catalog
from orderly.channels import service as channels
from orderly.kit.clock import utcnow
from orderly.kit.money import from_minor
from orderly.sourcing import repository, service
from orderly.sourcing.config import RoutingConfig, amount_minor
from orderly.sourcing.domain import Destination, LineDemand, SourcingPlan, SourcingRequest
from orderly.sourcing.engine import RoutingEngine
from orderly.sourcing.errors import (
    SimulationOrderNotFound,
    UnknownPickupLocation,
    UnknownSimulationSku,
)
from orderly.sourcing.schemas import (
    LocationDecisionOut,
    ShipmentLineOut,
    ShipmentOut,
    SimulateIn,
    SimulationAddressIn,
    SimulationLineIn,
    SimulationOut,
)


@dataclass(frozen=True, slots=True)
class _Order:
    channel: str
    lines: list[SimulationLineIn]
    address: SimulationAddressIn | None
    delivery_method: str
    pickup_location: str | None
    promise: date | None
    # units the existing order holds now, by (sku code, location code): given back to the
    # simulation so that the order competes for them as if it were new
    held: dict[tuple[str, str], int]


async def simulate(conn: AsyncConnection, org_id: int, body: SimulateIn) -> SimulationOut:
    order = await _existing(conn, org_id, body.order_id) if body.order_id else _hypothetical(body)
    policy = await channels.channel_policy(conn, org_id, order.channel)
    config = body.config or await service.effective_config(conn, org_id, policy.id)
    skus = await catalog.skus_by_code(conn, org_id, sorted({line.sku for line in order.lines}))
    demands = []
    for n, line in enumerate(order.lines, start=1):
        sku = skus.get(line.sku)
        if sku is None:
            raise UnknownSimulationSku(f"no SKU {line.sku!r}", field=f"lines.{n - 1}.sku")
        price = amount_minor(line.unit_price)
        demands.append(LineDemand(n, sku.id, line.quantity, price, sku.weight_grams))
    candidates, available = await repository.network(conn, org_id, [d.sku_id for d in demands])
    codes = {c.code: c.id for c in candidates}
    for (sku_code, location_code), units in order.held.items():
        key = (skus[sku_code].id, codes.get(location_code, 0))
        available[key] = available.get(key, 0) + units
    pickup_id = None
    if order.delivery_method == "pickup":
        if order.pickup_location not in codes:
            raise UnknownPickupLocation(
                f"no active location {order.pickup_location!r}", field="pickup_location"
            )
        pickup_id = codes[order.pickup_location]
    address = order.address
    destination = None
    if address is not None and order.delivery_method == "ship":
        destination = Destination(
            address.country, address.latitude, address.longitude, address.postal_code
        )
    request = SourcingRequest(
        tuple(demands),
        destination,
        candidates,
        available,
        delivery_method=order.delivery_method,
        channel=policy.code,
        channel_location_kinds=policy.eligible_location_kinds,
        pickup_location_id=pickup_id,
        promise_date=order.promise,
    )
    plan = RoutingEngine(config, today=utcnow().date()).plan(request)
    sku_codes = {d.line_no: order.lines[d.line_no - 1].sku for d in demands}
    return _out(body.order_id, policy.code, plan, sku_codes, config)


def _hypothetical(body: SimulateIn) -> _Order:
    assert body.lines is not None
    return _Order(
        body.channel,
        body.lines,
        body.shipping_address,
        body.delivery_method,
        body.pickup_location,
        body.requested_delivery_date,
        {},
    )


async def _existing(conn: AsyncConnection, org_id: int, order_id: int) -> _Order:
    found = await repository.order_to_simulate(conn, org_id, order_id)
    if found is None:
        raise SimulationOrderNotFound(f"no order {order_id}")
    held: dict[tuple[str, str], int] = {}
    for sku, location, quantity in found["held"]:
        held[(sku, location)] = held.get((sku, location), 0) + quantity
    address = found["shipping_address"]
    return _Order(
        found["channel"],
        [
            SimulationLineIn(
                sku=sku, quantity=quantity, unit_price=from_minor(price, found["currency"])
            )
            for sku, quantity, price in found["lines"]
        ],
        SimulationAddressIn.model_validate(address) if address else None,
        found["delivery_method"],
        found["pickup_location"],
        found["requested_delivery_date"],
        held,
    )


def _out(
    order_id: int | None,
    channel: str,
    plan: SourcingPlan,
    sku_codes: dict[int, str],
    config: RoutingConfig,
) -> SimulationOut:
    return SimulationOut(
        order_id=order_id,
        channel=channel,
        shipments=[
            ShipmentOut(
                location=s.location,
                lines=[
                    ShipmentLineOut(line_no=n, sku=sku_codes[n], quantity=q) for n, q in s.lines
                ],
                weight_grams=s.weight_grams,
                value=_money(s.value_minor),
                estimated_cost=_money(s.cost_minor),
                distance_km=None if s.distance_km is None else round(s.distance_km, 1),
                estimated_ship_date=s.ship_date,
            )
            for s in plan.shipments
        ],
        backordered={str(k): v for k, v in plan.shortfalls.items()},
        backorder_policy=plan.backorder_policy,
        estimated_cost=None
        if plan.estimated_cost_minor is None
        else _money(plan.estimated_cost_minor),
        estimated_ship_date=plan.estimated_ship_date,
        estimated_delivery_date=plan.estimated_delivery_date,
        explanation=list(plan.explanation),
        locations=[
            LocationDecisionOut(location=d.location, code=d.code, detail=d.detail, chosen=d.chosen)
            for d in plan.decisions
        ],
        config=config,
    )


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"
