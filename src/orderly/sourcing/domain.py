"""Where an order's units come from: the shapes every sourcing strategy shares. No I/O.

`SingleLocationThenSplit` is the first, simple strategy, kept as a baseline; the routing
engine implements the same `SourcingStrategy` (docs/sourcing.md, "In code").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, Protocol


@dataclass(frozen=True, slots=True)
class LineDemand:
    line_no: int
    sku_id: int
    quantity: int
    unit_price_minor: int = 0
    unit_weight_grams: int = 0


@dataclass(frozen=True, slots=True)
class Destination:
    country: str
    latitude: float | None = None
    longitude: float | None = None
    postal_code: str | None = None


def offers(capabilities: tuple[str, ...] | None, needed: str) -> bool:
    """Whether a location with these capabilities (None: not known, so yes) can do `needed`.
    A store that ships from store ships like a warehouse."""
    if capabilities is None or needed in capabilities:
        return True
    return needed == "ship" and "ship_from_store" in capabilities


@dataclass(frozen=True, slots=True)
class CandidateLocation:
    """A location that may fulfil this order (eligible kind, capability and destination)."""

    id: int
    code: str
    priority: int
    latitude: float | None
    longitude: float | None
    # None means "already checked by whoever built the snapshot".
    kind: str | None = None
    capabilities: tuple[str, ...] | None = None
    country: str | None = None
    ships_to: tuple[str, ...] = ()
    postal_code: str | None = None
    daily_capacity: int | None = None
    # Orders this location has taken today (only counted when it has a daily capacity).
    today_load: int = 0
    # None: the routing configuration's handling cost for this location applies.
    handling_cost_minor: int | None = None


@dataclass(frozen=True, slots=True)
class SourcingRequest:
    lines: tuple[LineDemand, ...]
    destination: Destination | None
    candidates: tuple[CandidateLocation, ...]
    # What can still be promised (on_hand - reserved - safety_stock) per (sku_id, location_id).
    available: Mapping[tuple[int, int], int]
    # Order facts the routing engine uses; the defaults suit a snapshot that already kept only
    # the eligible locations (as capture's does).
    delivery_method: str = "ship"
    channel: str | None = None
    # Location kinds the channel allows; None: the snapshot already applied them.
    channel_location_kinds: tuple[str, ...] | None = None
    pickup_location_id: int | None = None
    promise_date: date | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    line_no: int
    sku_id: int
    location_id: int
    quantity: int


class LocationDecision(NamedTuple):
    """Why one candidate location was chosen or rejected: a stable code and a sentence."""

    location_id: int
    location: str
    code: str
    detail: str
    chosen: bool = False


class Shipment(NamedTuple):
    location_id: int
    location: str
    # (line_no, quantity) pairs
    lines: tuple[tuple[int, int], ...]
    weight_grams: int
    value_minor: int
    cost_minor: int
    distance_km: float | None
    ship_date: date | None


@dataclass(frozen=True, slots=True)
class SourcingPlan:
    allocations: tuple[Allocation, ...]
    # Units of each line that no candidate can supply now, by line number.
    shortfalls: Mapping[int, int]
    explanation: tuple[str, ...] = field(default=())
    decisions: tuple[LocationDecision, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    estimated_cost_minor: int | None = None
    estimated_ship_date: date | None = None
    estimated_delivery_date: date | None = None
    # What happens to the shortfalls: "backorder", "hold_order" or "cancel_line".
    backorder_policy: str = "backorder"

    @property
    def is_complete(self) -> bool:
        return not self.shortfalls

    @property
    def location_ids(self) -> tuple[int, ...]:
        return tuple(sorted({a.location_id for a in self.allocations}))


class SourcingStrategy(Protocol):
    def plan(self, request: SourcingRequest) -> SourcingPlan: ...


EARTH_RADIUS_KM = 6371.0


def distance_km(
    lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None
) -> float | None:
    """Great-circle distance, or None when a coordinate is unknown."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def rank_candidates(
    candidates: Sequence[CandidateLocation], destination: Destination | None
) -> list[CandidateLocation]:
    """Lower priority number first, then nearer to the destination, then by code."""

    def key(c: CandidateLocation) -> tuple[int, float, str]:
        d = None
        if destination is not None:
            d = distance_km(c.latitude, c.longitude, destination.latitude, destination.longitude)
        return (c.priority, d if d is not None else math.inf, c.code)

    return sorted(candidates, key=key)


class SingleLocationThenSplit:
    """One shipment when any location can send everything, else split in rank order."""

    def plan(self, request: SourcingRequest) -> SourcingPlan:
        ranked = rank_candidates(request.candidates, request.destination)
        needed = _units_per_sku(request.lines)
        for location in ranked:
            if all(request.available.get((sku, location.id), 0) >= q for sku, q in needed.items()):
                allocations = tuple(
                    Allocation(line.line_no, line.sku_id, location.id, line.quantity)
                    for line in request.lines
                )
                return SourcingPlan(
                    allocations, {}, (f"{location.code} holds every line: one shipment",)
                )
        return self._split(request, ranked)

    def _split(self, request: SourcingRequest, ranked: Sequence[CandidateLocation]) -> SourcingPlan:
        remaining = dict(request.available)
        allocations: list[Allocation] = []
        shortfalls: dict[int, int] = {}
        used: list[str] = []
        for line in request.lines:
            still = line.quantity
            for location in ranked:
                if still == 0:
                    break
                key = (line.sku_id, location.id)
                take = min(still, max(remaining.get(key, 0), 0))
                if take:
                    allocations.append(Allocation(line.line_no, line.sku_id, location.id, take))
                    remaining[key] -= take
                    still -= take
                    if location.code not in used:
                        used.append(location.code)
            if still:
                shortfalls[line.line_no] = still
        reasons: list[str] = []
        if not ranked:
            reasons.append("no location is eligible to fulfil this order")
        elif used:
            reasons.append("no single location holds every line: split across " + ", ".join(used))
        if shortfalls:
            reasons.append(f"{sum(shortfalls.values())} unit(s) not available at any location")
        return SourcingPlan(tuple(allocations), shortfalls, tuple(reasons))


def _units_per_sku(lines: Sequence[LineDemand]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.sku_id] = totals.get(line.sku_id, 0) + line.quantity
    return totals


DEFAULT_STRATEGY: SourcingStrategy = SingleLocationThenSplit()
