"""Properties of the routing engine on random networks, orders and configurations."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.domain import (
    CandidateLocation,
    Destination,
    LineDemand,
    SourcingRequest,
    distance_km,
)
from orderly.sourcing.engine import RoutingEngine

KINDS = ("warehouse", "store", "3pl", "supplier")
SKUS = (1, 2, 3)


@st.composite
def locations(draw: st.DrawFn) -> tuple[CandidateLocation, ...]:
    count = draw(st.integers(1, 6))
    found = []
    for n in range(1, count + 1):
        capacity = draw(st.none() | st.integers(0, 5))
        found.append(
            CandidateLocation(
                n,
                f"L{n}",
                draw(st.integers(1, 3)),
                draw(st.floats(25, 48)),
                draw(st.floats(-122, -70)),
                kind=draw(st.sampled_from(KINDS)),
                capabilities=draw(st.sampled_from([("ship",), ("pickup",), ("ship", "pickup")])),
                country=draw(st.sampled_from(["US", "US", "CA"])),
                daily_capacity=capacity,
                today_load=draw(st.integers(0, 6)),
            )
        )
    return tuple(found)


CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "rules": st.lists(
            st.one_of(
                st.just({"type": "location_kinds", "kinds": ["warehouse", "store"]}),
                st.just({"type": "exclude_locations", "locations": ["L1"]}),
                st.builds(lambda km: {"type": "max_distance", "km": km}, st.integers(100, 4000)),
                st.builds(
                    lambda u: {"type": "capacity", "utilisation": u}, st.sampled_from([0.5, 1])
                ),
                st.builds(
                    lambda by: {"type": "rank", "by": by},
                    st.lists(
                        st.sampled_from(["shipments", "cost", "priority", "distance"]),
                        min_size=1,
                        max_size=3,
                        unique=True,
                    ),
                ),
                st.builds(
                    lambda p, n: {"type": "split", "policy": p, "max_shipments": n},
                    st.sampled_from(["never", "when_needed", "allowed"]),
                    st.none() | st.integers(1, 3),
                ),
                st.builds(
                    lambda p: {"type": "backorder", "policy": p},
                    st.sampled_from(["backorder", "hold_order", "cancel_line"]),
                ),
            ),
            max_size=4,
            unique_by=lambda r: r["type"],
        )
    },
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[SourcingRequest, RoutingConfig]:
    candidates = draw(locations())
    lines = tuple(
        LineDemand(n, draw(st.sampled_from(SKUS)), draw(st.integers(1, 6)), 1000, 400)
        for n in range(1, draw(st.integers(1, 4)) + 1)
    )
    available = {
        (sku, c.id): draw(st.integers(-2, 8))
        for sku in SKUS
        for c in candidates
        if draw(st.booleans())
    }
    pickup = draw(st.booleans()) and draw(st.booleans())
    request = SourcingRequest(
        lines,
        Destination("US", draw(st.floats(25, 48)), draw(st.floats(-122, -70))),
        candidates,
        available,
        delivery_method="pickup" if pickup else "ship",
        channel="web",
        channel_location_kinds=("warehouse", "store", "3pl"),
        pickup_location_id=candidates[0].id if pickup else None,
    )
    return request, RoutingConfig.model_validate(draw(CONFIGS))


def eligible(location: CandidateLocation, request: SourcingRequest, config: RoutingConfig) -> bool:
    pickup = request.pickup_location_id is not None
    raw: dict[str, Any] = config.model_dump()
    rules = {r["type"]: r for r in raw["rules"]}
    if pickup and location.id != request.pickup_location_id:
        return False
    if location.kind not in (request.channel_location_kinds or KINDS):
        return False
    if ("pickup" if pickup else "ship") not in (location.capabilities or ()):
        return False
    if not pickup and location.country != "US":
        return False
    if "location_kinds" in rules and location.kind not in rules["location_kinds"]["kinds"]:
        return False
    if "exclude_locations" in rules and location.code in rules["exclude_locations"]["locations"]:
        return False
    if location.daily_capacity is not None:
        limit = int(location.daily_capacity * config.utilisation)
        if location.today_load >= limit:
            return False
    if "max_distance" in rules and not pickup:
        d = request.destination
        assert d is not None
        km = distance_km(location.latitude, location.longitude, d.latitude, d.longitude)
        if km is not None and km > rules["max_distance"]["km"]:
            return False
    return True


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_plan_is_always_feasible_and_complete(
    case: tuple[SourcingRequest, RoutingConfig],
) -> None:
    request, config = case
    plan = RoutingEngine(config).plan(request)
    used: dict[tuple[int, int], int] = defaultdict(int)
    per_line: dict[int, int] = defaultdict(int)
    by_id = {c.id: c for c in request.candidates}
    for a in plan.allocations:
        assert a.quantity > 0
        used[(a.sku_id, a.location_id)] += a.quantity
        per_line[a.line_no] += a.quantity
        # never an ineligible location, never one at its daily capacity
        assert eligible(by_id[a.location_id], request, config)
    # never more than available (safety stock is already out of the snapshot's numbers)
    for key, quantity in used.items():
        assert quantity <= max(request.available.get(key, 0), 0)
    # every unit is either planned or said to be short
    for line in request.lines:
        assert per_line[line.line_no] + plan.shortfalls.get(line.line_no, 0) == line.quantity
        assert plan.shortfalls.get(line.line_no, 0) >= 0
    # the split policy holds
    split = config.split
    if split.policy.value == "never":
        assert len(plan.location_ids) <= 1
    if split.max_shipments is not None:
        assert len(plan.location_ids) <= split.max_shipments
    # one decision per candidate, chosen exactly where units come from
    assert [d.location_id for d in plan.decisions] == [c.id for c in request.candidates]
    assert {d.location_id for d in plan.decisions if d.chosen} == set(plan.location_ids)
    assert all(d.code for d in plan.decisions)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_a_short_order_is_short_only_of_what_no_eligible_location_holds(
    case: tuple[SourcingRequest, RoutingConfig],
) -> None:
    request, config = case
    if config.split.policy.value != "allowed" or config.split.max_shipments is not None:
        return
    plan = RoutingEngine(config).plan(request)
    short_skus = {line.sku_id for line in request.lines if plan.shortfalls.get(line.line_no)}
    for sku in short_skus:
        wanted = sum(line.quantity for line in request.lines if line.sku_id == sku)
        supply = sum(
            max(request.available.get((sku, c.id), 0), 0)
            for c in request.candidates
            if eligible(c, request, config)
        )
        assert supply < wanted
