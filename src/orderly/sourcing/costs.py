"""What a shipment from a location costs and how long it takes: handling plus a zone rate, the
zone from distance or shared postal code (docs/sourcing.md, "How an order is routed").
Amounts are integer minor units.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import NamedTuple

from orderly.sourcing.config import RoutingConfig, amount_minor
from orderly.sourcing.domain import CandidateLocation, Destination, distance_km

# Days from order to shipment when the configuration names none for a location kind.
DEFAULT_LEAD_DAYS = {"warehouse": 0, "3pl": 0, "store": 1, "supplier": 3}


@dataclass(frozen=True, slots=True)
class ZoneRate:
    max_km: float
    base_minor: int
    per_kg_minor: int
    transit_days: int


class ShippingCost(NamedTuple):
    fixed_minor: int
    per_kg_minor: int
    distance_km: float | None
    transit_days: int
    lead_days: int


class CostTable:
    """The configuration's costs, converted once to minor units."""

    def __init__(self, config: RoutingConfig) -> None:
        handling = config.costs.handling
        self.default_handling = amount_minor(handling.default)
        self.kind_handling: dict[str, int] = {
            str(k): amount_minor(v) for k, v in handling.kinds.items()
        }
        self.location_handling = {k: amount_minor(v) for k, v in handling.locations.items()}
        self.lead_days: dict[str, int] = dict(DEFAULT_LEAD_DAYS)
        self.lead_days.update({str(k): v for k, v in handling.lead_days.items()})
        self.zones = tuple(
            ZoneRate(z.max_km, amount_minor(z.base), amount_minor(z.per_kg), z.transit_days)
            for z in config.costs.shipping.zones
        )
        self.limits = [z.max_km for z in self.zones]

    def handling_minor(self, location: CandidateLocation) -> int:
        if location.handling_cost_minor is not None:
            return location.handling_cost_minor
        if location.code in self.location_handling:
            return self.location_handling[location.code]
        return self.kind_handling.get(location.kind or "", self.default_handling)

    def zone(self, location: CandidateLocation, destination: Destination | None) -> ZoneRate:
        if destination is None:
            return self.zones[-1]
        km = distance_km(
            location.latitude, location.longitude, destination.latitude, destination.longitude
        )
        if km is not None:
            return self.zone_for_km(km)
        return self.zones[min(self._postal_zone_index(location, destination), len(self.zones) - 1)]

    def zone_for_km(self, km: float) -> ZoneRate:
        index = bisect_left(self.limits, km)
        return self.zones[index] if index < len(self.zones) else self.zones[-1]

    def shipping(
        self,
        location: CandidateLocation,
        destination: Destination | None,
        *,
        km: float | None,
        pickup: bool,
    ) -> ShippingCost:
        handling = self.handling_minor(location)
        lead = self.lead_days.get(location.kind or "warehouse", 0)
        if pickup:
            return ShippingCost(handling, 0, km, 0, lead)
        zone = self.zone_for_km(km) if km is not None else self.zone(location, destination)
        return ShippingCost(
            handling + zone.base_minor, zone.per_kg_minor, km, zone.transit_days, lead
        )

    @staticmethod
    def _postal_zone_index(location: CandidateLocation, destination: Destination) -> int:
        if location.country and location.country != destination.country:
            return 10**6
        theirs, ours = destination.postal_code or "", location.postal_code or ""
        if not theirs or not ours:
            return 10**6
        if theirs[:3] == ours[:3]:
            return 1
        return 3 if theirs[:1] == ours[:1] else 5
