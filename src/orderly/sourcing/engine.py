"""The routing engine: filters, prices and ranks candidate locations for one order. No I/O.

A `SourcingStrategy` (docs/sourcing.md). Over 400 lines on purpose: eligibility, pricing and
ranking share one tight loop over the candidates; apart, they would cost calls per location.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from orderly.sourcing.config import (
    DEFAULT_CONFIG,
    CapabilitiesRule,
    ExcludeLocationsRule,
    LocationKindsRule,
    MaxDistanceRule,
    RoutingConfig,
    amount_minor,
)
from orderly.sourcing.costs import CostTable
from orderly.sourcing.domain import (
    Allocation,
    CandidateLocation,
    LocationDecision,
    Shipment,
    SourcingPlan,
    SourcingRequest,
    distance_km,
    offers,
)
from orderly.sourcing.explain import Reason, Rejection, money, site_decisions, summary
from orderly.sourcing.search import Item, Option, Site, best_option


@dataclass(frozen=True, slots=True)
class _Order:
    items: tuple[Item, ...]
    # per item: the (line_no, quantity, unit price) of its lines, in line order
    lines: tuple[tuple[tuple[int, int, int], ...], ...]
    value_per_item: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    order: _Order
    sites: list[Site]
    # One per candidate, in the request's order; None where a site's decision comes later.
    decisions: list[LocationDecision | None]
    site_slots: list[int]  # each site's position among the candidates
    # Locations that passed every check but stock: what "eligible" means in the summary.
    eligible: int


class RoutingEngine:
    """Decides where an order ships from under one routing configuration."""

    def __init__(self, config: RoutingConfig = DEFAULT_CONFIG, *, today: date | None = None):
        self.config = config
        self.today = today
        self.costs = CostTable(config)
        self.filters = config.filters
        self.eligibility_rules = [f for f in self.filters if not isinstance(f, MaxDistanceRule)]
        self.max_km = min(
            (f.km for f in self.filters if isinstance(f, MaxDistanceRule)), default=None
        )
        self.ranking = config.ranking
        split = config.split
        self.split_policy = split.policy
        self.max_shipments = split.max_shipments
        self.min_value = (
            amount_minor(split.min_shipment_value) if split.min_shipment_value else None
        )
        self.backorder = config.backorder
        self.utilisation = config.utilisation
        self._days: dict[int, date] = {}

    def plan(self, request: SourcingRequest) -> SourcingPlan:
        prepared = self.prepare(request)
        option = best_option(
            prepared.sites,
            prepared.order.items,
            ranking=self.ranking,
            split=self.split_policy,
            max_shipments=self.max_shipments,
            min_shipment_value=_MinValue(prepared.order, self.min_value)
            if self.min_value
            else None,
        )
        decisions = prepared.decisions
        for slot, d in zip(
            prepared.site_slots,
            site_decisions(prepared.sites, option, prepared.order.items, self.ranking),
            strict=True,
        ):
            decisions[slot] = d
        return self._plan(
            request, prepared.order, option, prepared.sites, decisions, prepared.eligible
        )

    def prepare(self, request: SourcingRequest) -> Prepared:
        """The order's SKUs, the eligible locations priced for it, and the rejected ones.

        A location is judged in this order, and the first reason that applies is reported:
        eligibility (pickup store, channel, capability, destination country, then the
        configuration's kind, capability and exclusion rules in their order), stock, daily
        capacity, distance.
        """
        order = _order(request)
        pickup = request.delivery_method == "pickup" or request.pickup_location_id is not None
        stock, full_counts = _stock_by_location(request, order)
        decisions: list[LocationDecision | None] = []
        site_slots: list[int] = []
        every = len(order.items)
        sites: list[Site] = []
        # The checks every location goes through, hoisted out of the loop: it runs for every
        # candidate of every order.
        pickup_id = request.pickup_location_id
        kinds = request.channel_location_kinds
        needed = "pickup" if pickup else "ship"
        country = None if pickup or request.destination is None else request.destination.country
        rules = self.eligibility_rules
        no_stock = 0
        dest = request.destination
        dest_lat = dest_lon = None
        if not pickup and dest is not None and dest.latitude is not None:
            dest_lat, dest_lon = dest.latitude, dest.longitude
        for slot, location in enumerate(request.candidates):
            if (
                pickup_id is None
                and (kinds is None or location.kind is None or location.kind in kinds)
                and offers(location.capabilities, needed)
                and (
                    country is None
                    or location.country is None
                    or (
                        country in location.ships_to
                        if location.ships_to
                        else country == location.country
                    )
                )
                and not rules
            ):
                rejection = None
            else:
                rejection = self._ineligible(location, request, pickup)
            if rejection is None:
                held = stock.get(location.id)
                if held is None:
                    no_stock += 1
                    rejection = _NO_STOCK
                else:
                    km = None
                    if dest_lat is not None:
                        km = distance_km(location.latitude, location.longitude, dest_lat, dest_lon)
                    if location.daily_capacity is not None or self.max_km is not None:
                        rejection = self._over_capacity(location) or self._too_far(km)
                    if rejection is None:
                        full = full_counts.get(location.id, 0) == every
                        sites.append(self._site(location, request, pickup, km, held, full))
                        site_slots.append(slot)
                        decisions.append(None)
                        continue
            decisions.append(
                _decision(
                    LocationDecision,
                    (location.id, location.code, rejection[0], rejection[1], False),
                )
            )
        return Prepared(order, sites, decisions, site_slots, len(sites) + no_stock)

    # --- eligibility ---------------------------------------------------------------------

    def _ineligible(
        self, location: CandidateLocation, request: SourcingRequest, pickup: bool
    ) -> Rejection | None:
        if request.pickup_location_id is not None and location.id != request.pickup_location_id:
            return Reason.NOT_PICKUP_LOCATION, "a pickup order is sourced from its pickup store"
        kinds = request.channel_location_kinds
        if kinds is not None and location.kind is not None and location.kind not in kinds:
            channel = request.channel or "this channel"
            return (
                Reason.NOT_ELIGIBLE_FOR_CHANNEL,
                f"{channel} does not fulfil from a {location.kind}",
            )
        needed = "pickup" if pickup else "ship"
        if not offers(location.capabilities, needed):
            return Reason.LACKS_CAPABILITY, f"lacks the {needed} capability"
        dest = request.destination
        if (
            not pickup
            and dest is not None
            and location.country is not None
            and dest.country not in (location.ships_to or (location.country,))
        ):
            return Reason.DOES_NOT_SHIP_TO_COUNTRY, f"does not ship to {dest.country}"
        for rule in self.eligibility_rules:
            rejection = _rule(rule, location)
            if rejection is not None:
                return rejection
        return None

    def _over_capacity(self, location: CandidateLocation) -> Rejection | None:
        if location.daily_capacity is None:
            return None
        limit = int(location.daily_capacity * self.utilisation)
        if location.today_load < limit:
            return None
        return (
            Reason.OVER_CAPACITY,
            f"took {location.today_load} order(s) today; its limit is {limit}",
        )

    def _too_far(self, km: float | None) -> Rejection | None:
        if self.max_km is None or km is None or km <= self.max_km:
            return None
        return Reason.TOO_FAR, f"{km:.0f} km away, more than the {self.max_km:g} km limit"

    # --- pricing and the plan ------------------------------------------------------------

    def _day(self, days_from_today: int) -> date | None:
        if self.today is None:
            return None
        day = self._days.get(days_from_today)
        if day is None:
            day = self._days[days_from_today] = self.today + timedelta(days=days_from_today)
        return day

    def _site(
        self,
        location: CandidateLocation,
        request: SourcingRequest,
        pickup: bool,
        km: float | None,
        stock: Sequence[int],
        full: bool,
    ) -> Site:
        costs = self.costs
        handling = costs.handling_minor(location)
        lead = costs.lead_days.get(location.kind or "warehouse", 0)
        if pickup:  # nothing is shipped: handling only
            return Site(location, handling, 0, km, 0, lead, tuple(stock), full)
        zone = (
            costs.zone_for_km(km) if km is not None else costs.zone(location, request.destination)
        )
        return Site(
            location,
            handling + zone.base_minor,
            zone.per_kg_minor,
            km,
            zone.transit_days,
            lead,
            tuple(stock),
            full,
        )

    def _plan(
        self,
        request: SourcingRequest,
        order: _Order,
        option: Option,
        sites: Sequence[Site],
        decisions: list[LocationDecision | None],
        eligible: int,
    ) -> SourcingPlan:
        open_units = {line.line_no: line.quantity for line in request.lines}
        allocations: list[Allocation] = []
        shipments: list[Shipment] = []
        ship_dates: list[date] = []
        deliveries: list[date] = []
        for site, units in zip(option.sites, option.units, strict=True):
            shipped: list[tuple[int, int]] = []
            value = grams = 0
            for k, quantity in enumerate(units):
                item = order.items[k]
                grams += quantity * item.unit_weight_grams
                for line_no, _, price in order.lines[k]:
                    take = min(quantity, open_units[line_no])
                    if take:
                        open_units[line_no] -= take
                        quantity -= take
                        value += take * price
                        shipped.append((line_no, take))
                        allocations.append(Allocation(line_no, item.sku_id, site.location.id, take))
                        if not quantity:
                            break
            ship_date = self._day(site.lead_days)
            if ship_date is not None:
                ship_dates.append(ship_date)
                deliveries.append(self._day(site.lead_days + site.transit_days) or ship_date)
            shipments.append(
                Shipment(
                    site.location.id,
                    site.location.code,
                    tuple(sorted(shipped)),
                    grams,
                    value,
                    site.shipment_cost(grams),
                    site.distance_km,
                    ship_date,
                )
            )
        shortfalls = {n: q for n, q in open_units.items() if q}
        explanation = summary(
            option,
            eligible=eligible,
            singles=sum(1 for s in sites if s.full),
            short_units=sum(shortfalls.values()),
            policy=self.backorder,
        )
        delivery = max(deliveries) if deliveries else None
        if delivery and request.promise_date and delivery > request.promise_date:
            explanation.append(
                f"estimated delivery {delivery.isoformat()} is after the promised "
                f"{request.promise_date.isoformat()}"
            )
        ordered = cast(tuple[LocationDecision, ...], tuple(decisions))
        return SourcingPlan(
            allocations=tuple(sorted(allocations, key=lambda a: (a.line_no, a.location_id))),
            shortfalls=shortfalls,
            explanation=tuple(explanation),
            decisions=ordered,
            shipments=tuple(shipments),
            estimated_cost_minor=option.cost_minor,
            estimated_ship_date=max(ship_dates) if ship_dates else None,
            estimated_delivery_date=delivery,
            backorder_policy=self.backorder.value,
        )


_NO_STOCK: Rejection = (Reason.NO_STOCK, "holds none of the order's SKUs")
# Builds a LocationDecision without the Python-level __new__ of a NamedTuple (hot loop).
_decision = tuple.__new__


def _rule(
    rule: LocationKindsRule | CapabilitiesRule | ExcludeLocationsRule | MaxDistanceRule,
    location: CandidateLocation,
) -> Rejection | None:
    if isinstance(rule, LocationKindsRule):
        if location.kind is not None and location.kind not in rule.kinds:
            return Reason.KIND_NOT_ALLOWED, f"routing sends no orders to a {location.kind}"
    elif isinstance(rule, CapabilitiesRule):
        missing = [c for c in rule.require if c not in (location.capabilities or ())]
        if location.capabilities is not None and missing:
            return Reason.LACKS_CAPABILITY, "lacks the " + ", ".join(missing) + " capability"
    elif isinstance(rule, ExcludeLocationsRule) and location.code in rule.locations:
        return Reason.EXCLUDED, "excluded by the routing configuration"
    return None


@dataclass(frozen=True, slots=True)
class _MinValue:
    """True when every shipment of an option carries at least the minimum value."""

    order: _Order
    minimum: int

    def __call__(self, option: Option) -> bool:
        for units in option.units:
            value = sum(
                u * v // max(item.need, 1)
                for u, v, item in zip(
                    units, self.order.value_per_item, self.order.items, strict=True
                )
            )
            if value < self.minimum:
                return False
        return True


def _stock_by_location(
    request: SourcingRequest, order: _Order
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Units each location can send of each item (capped at the need), where it has any, and
    how many items each holds in full."""
    index = {item.sku_id: k for k, item in enumerate(order.items)}
    size = len(order.items)
    rows: dict[int, list[int]] = {}
    full: dict[int, int] = {}
    for (sku_id, location_id), available in request.available.items():
        k = index.get(sku_id)
        if k is None or available <= 0:
            continue
        row = rows.get(location_id)
        if row is None:
            row = rows[location_id] = [0] * size
        need = order.items[k].need
        if available >= need:
            row[k] = need
            full[location_id] = full.get(location_id, 0) + 1
        else:
            row[k] = available
    return rows, full


def _order(request: SourcingRequest) -> _Order:
    needs: dict[int, int] = {}
    weights: dict[int, int] = {}
    lines: dict[int, list[tuple[int, int, int]]] = {}
    for line in request.lines:
        needs[line.sku_id] = needs.get(line.sku_id, 0) + line.quantity
        weights.setdefault(line.sku_id, line.unit_weight_grams)
        lines.setdefault(line.sku_id, []).append(
            (line.line_no, line.quantity, line.unit_price_minor)
        )
    items = tuple(Item(sku, needs[sku], weights[sku]) for sku in needs)
    return _Order(
        items,
        tuple(tuple(lines[i.sku_id]) for i in items),
        tuple(sum(q * p for _, q, p in lines[i.sku_id]) for i in items),
    )


__all__ = ["RoutingEngine", "money"]
