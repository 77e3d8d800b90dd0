"""Replay past orders under a routing configuration, on stock rebuilt from the ledger, and
compare with what happened. Read-only: docs/sourcing.md, "Replay".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.sourcing import repository, service
from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.domain import (
    CandidateLocation,
    Destination,
    LineDemand,
    SourcingPlan,
    SourcingRequest,
    distance_km,
)
from orderly.sourcing.engine import RoutingEngine

DEFAULT_KINDS = ("warehouse", "store", "3pl")


@dataclass
class Outcome:
    """Totals over the replayed orders for one way of sourcing them."""

    orders: int = 0
    shipments: int = 0
    split_orders: int = 0
    cost_minor: int = 0
    distance_km: float = 0.0
    measured_shipments: int = 0
    short_units: int = 0

    @property
    def split_rate(self) -> float:
        return self.split_orders / self.orders if self.orders else 0.0

    @property
    def mean_distance_km(self) -> float | None:
        return self.distance_km / self.measured_shipments if self.measured_shipments else None

    def add(self, shipments: list[tuple[int, int, float | None]], short_units: int) -> None:
        """shipments: (location id, cost, distance) of one order."""
        self.orders += 1
        self.shipments += len(shipments)
        self.split_orders += len(shipments) > 1
        self.short_units += short_units
        for _, cost, km in shipments:
            self.cost_minor += cost
            if km is not None:
                self.distance_km += km
                self.measured_shipments += 1


@dataclass
class ReplayReport:
    since: date
    actual: Outcome = field(default_factory=Outcome)
    replayed: Outcome = field(default_factory=Outcome)
    changed_orders: int = 0


_ORDERS = sa.text(
    """
    SELECT o.id, o.created_at, o.channel_id, c.fulfillment_location_kinds AS kinds,
           o.shipping_address, o.delivery_method, o.pickup_location_id,
           o.requested_delivery_date,
           (SELECT json_agg(json_build_array(l.line_no, l.sku_id, l.quantity,
                                             l.unit_price_minor, s.weight_grams)
                            ORDER BY l.line_no)
              FROM order_lines l JOIN skus s ON s.id = l.sku_id
             WHERE l.org_id = o.org_id AND l.order_id = o.id) AS lines,
           (SELECT coalesce(json_agg(json_build_array(a.line_no, a.sku_id, a.location_id,
                                                      a.quantity)), '[]')
              FROM order_allocations a
             WHERE a.org_id = o.org_id AND a.order_id = o.id
               AND a.status IN ('reserved', 'shipped')) AS allocations
      FROM orders o JOIN channels c ON c.id = o.channel_id
     WHERE o.org_id = :org_id AND o.created_at >= :since
     ORDER BY o.id
     LIMIT :limit
    """
)

# What each location could promise of these SKUs just before the order was captured.
_STOCK_AT = sa.text(
    """
    SELECT l.sku_id, l.location_id,
           sum(l.on_hand_delta) - sum(l.reserved_delta) - coalesce(max(sl.safety_stock), 0)
             AS available
      FROM stock_ledger l
      LEFT JOIN stock_levels sl
        ON sl.org_id = l.org_id AND sl.sku_id = l.sku_id AND sl.location_id = l.location_id
     WHERE l.org_id = :org_id AND l.sku_id = ANY(:sku_ids) AND l.created_at < :at
     GROUP BY l.sku_id, l.location_id
    """
)


async def replay_orders(
    conn: AsyncConnection,
    org_id: int,
    *,
    since: date,
    config: RoutingConfig | None = None,
    limit: int = 10_000,
) -> ReplayReport:
    """Decide the orders captured since `since` again; `config` None: each channel's saved one."""
    report = ReplayReport(since)
    candidates, _ = await repository.network(conn, org_id, [])
    # past loads are unknown: capacity is not replayed
    candidates = tuple(replace(c, daily_capacity=None, today_load=0) for c in candidates)
    by_id = {c.id: c for c in candidates}
    engines: dict[int, RoutingEngine] = {}
    rows = await conn.execute(
        _ORDERS,
        {"org_id": org_id, "since": datetime.combine(since, datetime.min.time()), "limit": limit},
    )
    for row in rows.all():
        if row.channel_id not in engines:
            chosen = config or await service.effective_config(conn, org_id, row.channel_id)
            engines[row.channel_id] = RoutingEngine(chosen, today=row.created_at.date())
        engine = engines[row.channel_id]
        request = await _request(conn, org_id, row, candidates)
        plan = engine.plan(request)
        actual = _actual(engine, request, row.allocations, by_id)
        report.actual.add(actual, sum(line.quantity for line in request.lines) - _units(row))
        report.replayed.add(_shipments(plan), sum(plan.shortfalls.values()))
        if {a[0] for a in actual} != set(plan.location_ids):
            report.changed_orders += 1
    return report


async def _request(
    conn: AsyncConnection, org_id: int, row: Any, candidates: tuple[CandidateLocation, ...]
) -> SourcingRequest:
    lines = tuple(LineDemand(n, sku, q, price, grams) for n, sku, q, price, grams in row.lines)
    stock = await conn.execute(
        _STOCK_AT,
        {"org_id": org_id, "sku_ids": sorted({x.sku_id for x in lines}), "at": row.created_at},
    )
    address = row.shipping_address or {}
    pickup = row.delivery_method == "pickup"
    destination = None
    if not pickup and address.get("country"):
        destination = Destination(
            address["country"],
            address.get("latitude"),
            address.get("longitude"),
            address.get("postal_code"),
        )
    return SourcingRequest(
        lines,
        destination,
        candidates,
        {(s.sku_id, s.location_id): int(s.available) for s in stock},
        delivery_method=row.delivery_method,
        channel_location_kinds=tuple(row.kinds) or DEFAULT_KINDS,
        pickup_location_id=row.pickup_location_id if pickup else None,
        promise_date=row.requested_delivery_date,
    )


def _actual(
    engine: RoutingEngine,
    request: SourcingRequest,
    allocations: list[list[int]],
    locations: dict[int, CandidateLocation],
) -> list[tuple[int, int, float | None]]:
    """What happened, priced with the configuration's cost table."""
    grams: dict[int, int] = defaultdict(int)
    weights = {line.line_no: line.unit_weight_grams for line in request.lines}
    for line_no, _, location_id, quantity in allocations:
        grams[location_id] += quantity * weights.get(line_no, 0)
    shipped = []
    pickup = request.delivery_method == "pickup"
    d = request.destination
    for location_id, weight in grams.items():
        location = locations.get(location_id)
        if location is None:  # since deactivated: priced as the farthest zone
            location = CandidateLocation(location_id, "?", 0, None, None)
        km = None
        if d is not None and not pickup:
            km = distance_km(location.latitude, location.longitude, d.latitude, d.longitude)
        cost = engine.costs.shipping(location, d, km=km, pickup=pickup)
        shipped.append(
            (location_id, cost.fixed_minor + (cost.per_kg_minor * weight + 500) // 1000, km)
        )
    return shipped


def _shipments(plan: SourcingPlan) -> list[tuple[int, int, float | None]]:
    return [(s.location_id, s.cost_minor, s.distance_km) for s in plan.shipments]


def _units(row: Any) -> int:
    return sum(a[3] for a in row.allocations)
