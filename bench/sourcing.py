"""The routing engine on a generated network: decisions per second and cost against the optimum.

50 locations, 2,000 SKUs, orders of 1 to 6 lines, decided on one core with no database, then
solved exactly (OR-tools) under the same cost model: docs/performance.md, "Sourcing".

    python bench/sourcing.py                      # 20,000 decisions, 1,000 solved exactly
    python bench/sourcing.py --orders 5000 --exact 300 --seed 7
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.domain import (
    CandidateLocation,
    Destination,
    LineDemand,
    SingleLocationThenSplit,
    SourcingPlan,
    SourcingRequest,
)
from orderly.sourcing.engine import RoutingEngine
from orderly.sourcing.search import Item, Site

CITIES = [
    ("New York", 40.71, -74.01), ("Los Angeles", 34.05, -118.24), ("Chicago", 41.88, -87.63),
    ("Houston", 29.76, -95.37), ("Phoenix", 33.45, -112.07), ("Philadelphia", 39.95, -75.17),
    ("San Antonio", 29.42, -98.49), ("San Diego", 32.72, -117.16), ("Dallas", 32.78, -96.80),
    ("San Jose", 37.34, -121.89), ("Austin", 30.27, -97.74), ("Jacksonville", 30.33, -81.66),
    ("Fort Worth", 32.76, -97.33), ("Columbus", 39.96, -83.00), ("Charlotte", 35.23, -80.84),
    ("Indianapolis", 39.77, -86.16), ("San Francisco", 37.77, -122.42),
    ("Seattle", 47.61, -122.33), ("Denver", 39.74, -104.99), ("Washington", 38.91, -77.04),
    ("Boston", 42.36, -71.06), ("Nashville", 36.16, -86.78), ("El Paso", 31.76, -106.49),
    ("Detroit", 42.33, -83.05), ("Oklahoma City", 35.47, -97.52), ("Portland", 45.52, -122.68),
    ("Las Vegas", 36.17, -115.14), ("Memphis", 35.15, -90.05), ("Louisville", 38.25, -85.76),
    ("Baltimore", 39.29, -76.61), ("Milwaukee", 43.04, -87.91), ("Albuquerque", 35.08, -106.65),
    ("Tucson", 32.22, -110.97), ("Fresno", 36.74, -119.79), ("Sacramento", 38.58, -121.49),
    ("Kansas City", 39.10, -94.58), ("Atlanta", 33.75, -84.39), ("Miami", 25.76, -80.19),
    ("Raleigh", 35.78, -78.64), ("Omaha", 41.26, -95.93), ("Minneapolis", 44.98, -93.27),
    ("Tulsa", 36.15, -95.99), ("Cleveland", 41.50, -81.69), ("New Orleans", 29.95, -90.07),
    ("Tampa", 27.95, -82.46), ("Pittsburgh", 40.44, -80.00), ("Cincinnati", 39.10, -84.51),
    ("St. Louis", 38.63, -90.20), ("Salt Lake City", 40.76, -111.89), ("Boise", 43.62, -116.20),
]  # fmt: skip
DC_CITIES = {"New York", "Atlanta", "Chicago", "Dallas", "Los Angeles", "Seattle", "Denver",
             "Columbus"}  # fmt: skip
THREE_PL_CITIES = {"Louisville", "Salt Lake City"}
LINE_COUNTS = [1, 2, 3, 4, 5, 6]
LINE_WEIGHTS = [45, 25, 12, 8, 6, 4]
CONFIGS = {
    "default (fewest shipments, then cost)": {},
    "cost only (split allowed)": {
        "rules": [{"type": "rank", "by": ["cost"]}, {"type": "split", "policy": "allowed"}]
    },
}


@dataclass(frozen=True)
class Network:
    locations: tuple[CandidateLocation, ...]
    sku_weights: dict[int, int]
    sku_prices: dict[int, int]
    stock: dict[int, dict[int, int]]  # sku -> location -> available


def generate_network(rng: random.Random, skus: int = 2000) -> Network:
    locations = []
    for n, (city, lat, lon) in enumerate(CITIES, start=1):
        kind = "warehouse" if city in DC_CITIES else "3pl" if city in THREE_PL_CITIES else "store"
        capacity = rng.choice([20, 30, 40]) if kind == "store" else None
        load = rng.randint(0, capacity) if capacity else 0
        locations.append(
            CandidateLocation(
                n, f"{kind[:2].upper()}-{city[:12]}", 100 if kind == "store" else 10, lat, lon,
                kind=kind, capabilities=("ship",), country="US",
                daily_capacity=capacity, today_load=load,
            )
        )  # fmt: skip
    dcs = [loc.id for loc in locations if loc.kind in ("warehouse", "3pl")]
    stores = [loc.id for loc in locations if loc.kind == "store"]
    weights = {s: int(min(max(rng.lognormvariate(math.log(600), 0.9), 50), 15_000)) for s in
               range(1, skus + 1)}  # fmt: skip
    prices = {s: rng.randint(5, 150) * 100 - 1 for s in range(1, skus + 1)}
    stock: dict[int, dict[int, int]] = {}
    for s in range(1, skus + 1):
        at = {d: rng.choice([0, rng.randint(1, 200)]) if rng.random() < 0.2 else
              rng.randint(5, 200) for d in rng.sample(dcs, rng.randint(2, 4))}  # fmt: skip
        if rng.random() < 0.3:
            at.update({st: rng.randint(1, 5) for st in rng.sample(stores, rng.randint(3, 12))})
        stock[s] = at
    return Network(tuple(locations), weights, prices, stock)


def generate_orders(rng: random.Random, network: Network, count: int) -> list[SourcingRequest]:
    skus = list(network.sku_weights)
    popularity = [1 / (rank + 1) ** 0.8 for rank in range(len(skus))]
    requests = []
    for _ in range(count):
        n_lines = rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0]
        chosen: list[int] = []
        while len(chosen) < n_lines:
            sku = rng.choices(skus, popularity)[0]
            if sku not in chosen:
                chosen.append(sku)
        lines = tuple(
            LineDemand(n, sku, rng.choices([1, 2, 3], [80, 15, 5])[0], network.sku_prices[sku],
                       network.sku_weights[sku])
            for n, sku in enumerate(chosen, start=1)
        )  # fmt: skip
        _, lat, lon = rng.choice(CITIES)
        destination = Destination("US", lat + rng.uniform(-1, 1), lon + rng.uniform(-1, 1))
        available = {(sku, loc): q for sku in chosen for loc, q in network.stock[sku].items()}
        requests.append(SourcingRequest(lines, destination, network.locations, available))
    return requests


@dataclass
class Run:
    decisions_per_s: float
    split_orders: int = 0
    shipped_orders: int = 0
    short_orders: int = 0
    shipments: int = 0
    distance_km: float = 0.0


def measure_speed(engine: Any, requests: Sequence[SourcingRequest]) -> Run:
    """Decide every order on this core; keep running totals, not the plans (as a server would:
    holding 20,000 plans would only measure the garbage collector)."""
    run = Run(0.0)
    start = time.process_time()
    for request in requests:
        plan = engine.plan(request)
        shipments = getattr(plan, "shipments", ())
        if shipments:
            run.shipped_orders += 1
            run.split_orders += len(shipments) > 1
            run.shipments += len(shipments)
            run.distance_km += sum(s.distance_km or 0 for s in shipments)
        run.short_orders += bool(plan.shortfalls)
    run.decisions_per_s = len(requests) / (time.process_time() - start)
    return run


def optimum(sites: Sequence[Site], items: Sequence[Item]) -> tuple[int, int, int] | None:
    """(cost, shipments, short units) of the exact optimum, or None when no solver is found.

    Minimises handling + shipping with a fixed cost per location used, every unit it can
    supply first (a large penalty per short unit). The assignment is then priced with the
    engine's own rounding, so both sides are measured by the same rule.
    """
    from ortools.linear_solver import pywraplp  # type: ignore[import-untyped]

    solver = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("CBC")
    if solver is None:
        return None
    penalty = 10**7
    used = [solver.BoolVar(f"y{s}") for s in range(len(sites))]
    x = [[solver.IntVar(0, site.stock[k], f"x{s}_{k}") for k in range(len(items))]
         for s, site in enumerate(sites)]  # fmt: skip
    short = [solver.IntVar(0, item.need, f"short{k}") for k, item in enumerate(items)]
    for k, item in enumerate(items):
        solver.Add(sum(x[s][k] for s in range(len(sites))) + short[k] == item.need)
        for s, site in enumerate(sites):
            solver.Add(x[s][k] <= site.stock[k] * used[s])
    solver.Minimize(
        sum(site.fixed_minor * used[s] for s, site in enumerate(sites))
        + sum(site.per_kg_minor * item.unit_weight_grams / 1000 * x[s][k]
              for s, site in enumerate(sites) for k, item in enumerate(items))
        + penalty * sum(short)
    )  # fmt: skip
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    cost = shipments = 0
    for s, site in enumerate(sites):
        grams = sum(round(x[s][k].solution_value()) * item.unit_weight_grams
                    for k, item in enumerate(items))  # fmt: skip
        units = sum(round(x[s][k].solution_value()) for k in range(len(items)))
        if units:
            cost += site.shipment_cost(grams)
            shipments += 1
    return cost, shipments, sum(round(v.solution_value()) for v in short)


def compare_with_optimum(
    engine: RoutingEngine, requests: Sequence[SourcingRequest], plans: Sequence[SourcingPlan]
) -> dict[str, Any]:
    ours = best = compared = our_splits = best_splits = 0
    worst = 0.0
    for request, plan in zip(requests, plans, strict=True):
        if plan.shortfalls:
            continue
        prepared = engine.prepare(request)
        result = optimum(prepared.sites, prepared.order.items)
        if result is None or result[2]:
            continue
        assert plan.estimated_cost_minor is not None
        compared += 1
        ours += plan.estimated_cost_minor
        best += result[0]
        our_splits += len(plan.shipments) > 1
        best_splits += result[1] > 1
        worst = max(worst, (plan.estimated_cost_minor - result[0]) / max(result[0], 1))
    return {
        "orders_compared": compared,
        "engine_cost": ours / 100,
        "optimum_cost": best / 100,
        "gap_percent": round(100 * (ours - best) / best, 3) if best else None,
        "worst_order_gap_percent": round(100 * worst, 2),
        "engine_split_rate": round(our_splits / compared, 4) if compared else None,
        "optimum_split_rate": round(best_splits / compared, 4) if compared else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--exact", type=int, default=1_000, help="orders solved exactly")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    network = generate_network(rng)
    requests = generate_orders(rng, network, args.orders)
    report: dict[str, Any] = {"orders": args.orders, "seed": args.seed, "configs": {}}
    baseline = measure_speed(SingleLocationThenSplit(), requests)
    report["baseline_single_location_then_split_per_s"] = round(baseline.decisions_per_s)
    for name, raw in CONFIGS.items():
        engine = RoutingEngine(RoutingConfig.model_validate(raw), today=date(2026, 11, 26))
        run = measure_speed(engine, requests)
        entry: dict[str, Any] = {
            "decisions_per_s": round(run.decisions_per_s),
            "split_rate": round(run.split_orders / run.shipped_orders, 4),
            "orders_short": run.short_orders,
            "mean_distance_km": round(run.distance_km / run.shipments, 1),
        }
        if args.exact:
            sample = requests[: args.exact]
            plans = [engine.plan(r) for r in sample]
            entry["versus_optimum"] = compare_with_optimum(engine, sample, plans)
        report["configs"][name] = entry
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
