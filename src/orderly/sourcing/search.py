"""The search for the best set of shipping locations for one order. Pure and allocation-light.

Single locations, then pairs, then a greedy set cover improved locally, ranked by the
configuration: docs/sourcing.md, step 4 ("Search").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from orderly.sourcing.config import RankBy, SplitPolicy
from orderly.sourcing.domain import CandidateLocation


@dataclass(frozen=True, slots=True)
class Item:
    """One SKU of the order, with the units wanted across all its lines."""

    sku_id: int
    need: int
    unit_weight_grams: int


@dataclass(slots=True, eq=False)
class Site:
    """An eligible location with what a shipment from it costs and what it holds."""

    location: CandidateLocation
    fixed_minor: int  # handling plus the zone's base rate
    per_kg_minor: int
    distance_km: float | None
    transit_days: int
    lead_days: int
    stock: tuple[int, ...]  # units per item, capped at the need
    full: bool  # holds every item in full

    @property
    def code(self) -> str:
        return self.location.code

    def shipment_cost(self, grams: int) -> int:
        return self.fixed_minor + (self.per_kg_minor * grams + 500) // 1000


@dataclass(slots=True)
class Option:
    sites: tuple[Site, ...]
    units: tuple[tuple[int, ...], ...]  # per site, units of each item
    cost_minor: int
    short: int  # units no site of this option supplies


RankKey = Callable[[Option], tuple[float | int | str, ...]]


def assign(sites: Sequence[Site], items: Sequence[Item]) -> Option:
    """The cheapest way to draw the items from these sites; sites left unused are dropped."""
    order = sorted(range(len(sites)), key=lambda i: (sites[i].per_kg_minor, sites[i].code))
    units = [[0] * len(items) for _ in sites]
    short = 0
    for k, item in enumerate(items):
        left = item.need
        for i in order:
            if not left:
                break
            take = min(left, sites[i].stock[k])
            if take:
                units[i][k] = take
                left -= take
        short += left
    kept_sites: list[Site] = []
    kept_units: list[tuple[int, ...]] = []
    cost = 0
    for site, row in zip(sites, units, strict=True):
        if any(row):
            grams = sum(u * item.unit_weight_grams for u, item in zip(row, items, strict=True))
            cost += site.shipment_cost(grams)
            kept_sites.append(site)
            kept_units.append(tuple(row))
    return Option(tuple(kept_sites), tuple(kept_units), cost, short)


def ranking_key(ranking: Sequence[RankBy]) -> RankKey:
    """Complete options first, then the configured criteria, then cost and codes for ties."""

    def key(option: Option) -> tuple[float | int | str, ...]:
        metrics: list[float | int | str] = [option.short]
        for criterion in ranking:
            if criterion is RankBy.SHIPMENTS:
                metrics.append(len(option.sites))
            elif criterion is RankBy.COST:
                metrics.append(option.cost_minor)
            elif criterion is RankBy.PRIORITY:
                metrics.append(max((s.location.priority for s in option.sites), default=0))
            else:
                metrics.append(
                    sum(
                        s.distance_km if s.distance_km is not None else math.inf
                        for s in option.sites
                    )
                )
        metrics.append(option.cost_minor)
        metrics.append(",".join(s.code for s in option.sites))
        return tuple(metrics)

    return key


def best_option(
    sites: Sequence[Site],
    items: Sequence[Item],
    *,
    ranking: Sequence[RankBy],
    split: SplitPolicy,
    max_shipments: int | None,
    min_shipment_value: Callable[[Option], bool] | None = None,
) -> Option:
    """The best option under the policy; it may fall short when stock does."""
    key = ranking_key(ranking)
    limit = max_shipments or len(sites)
    needs = tuple(i.need for i in items)
    grams = sum(i.need * i.unit_weight_grams for i in items)
    singles = [Option((s,), (needs,), s.shipment_cost(grams), 0) for s in sites if s.full]
    if split is SplitPolicy.NEVER or limit == 1:
        return _best_single(sites, items, singles, key)
    if singles and split is SplitPolicy.WHEN_NEEDED:
        return singles[0] if len(singles) == 1 else min(singles, key=key)
    options = list(singles)
    if limit >= 2:
        options.extend(_pairs(sites, items, ranking, options, key))
    complete_split = any(o.short == 0 and len(o.sites) > 1 for o in options)
    shipments_first = bool(ranking) and ranking[0] is RankBy.SHIPMENTS
    nothing_complete = not singles and not complete_split
    if nothing_complete or (not shipments_first and limit > 2):
        options.append(_greedy(sites, items, limit, key))
    if min_shipment_value is not None:
        options = [o for o in options if len(o.sites) < 2 or min_shipment_value(o)]
    if not options:
        return _best_single(sites, items, singles, key)
    return min(options, key=key)


def _best_single(
    sites: Sequence[Site], items: Sequence[Item], singles: list[Option], key: RankKey
) -> Option:
    if singles:
        return min(singles, key=key)
    partial = [assign((s,), items) for s in sites if any(s.stock)]
    return min(partial, key=key) if partial else Option((), (), 0, sum(i.need for i in items))


def _pairs(
    sites: Sequence[Site],
    items: Sequence[Item],
    ranking: Sequence[RankBy],
    known: list[Option],
    key: RankKey,
) -> list[Option]:
    """The best pairs of sites that cover the order between them.

    Pairs are priced inline (each SKU from the cheaper site per kilogram first) and only the
    winners become options: this loop runs for every order that needs a split.
    """
    needs = [i.need for i in items]
    weights = [i.unit_weight_grams for i in items]
    every = (1 << len(items)) - 1
    holding = sorted((s for s in sites if any(s.stock)), key=lambda s: s.fixed_minor)
    masks = [sum(1 << k for k, q in enumerate(s.stock) if q) for s in holding]
    # Among pairs (all two shipments), cost decides first unless the ranking says otherwise;
    # then a pair whose fixed costs alone reach the best pair found cannot win.
    others = [r for r in ranking if r is not RankBy.SHIPMENTS]
    prune = not others or others[0] is RankBy.COST
    priced: list[tuple[int, Site, Site]] = []
    best = math.inf
    for i, a in enumerate(holding):
        if prune and a.fixed_minor * 2 >= best:
            break
        for j in range(i + 1, len(holding)):
            b = holding[j]
            if prune and a.fixed_minor + b.fixed_minor >= best:
                break
            if masks[i] | masks[j] != every:
                continue
            first, second = (a, b) if a.per_kg_minor <= b.per_kg_minor else (b, a)
            g1 = g2 = u1 = u2 = 0
            for k, need in enumerate(needs):
                s1, s2 = first.stock[k], second.stock[k]
                if s1 + s2 < need:
                    break
                t1 = s1 if s1 < need else need
                u1 += t1
                u2 += need - t1
                g1 += t1 * weights[k]
                g2 += (need - t1) * weights[k]
            else:
                if u1 and u2:
                    cost = first.shipment_cost(g1) + second.shipment_cost(g2)
                    priced.append((cost, a, b))
                    best = min(best, cost)
    if prune:
        priced = [p for p in priced if p[0] == best]
    return [assign((a, b), items) for _, a, b in priced]


def _greedy(sites: Sequence[Site], items: Sequence[Item], limit: int, key: RankKey) -> Option:
    remaining = [i.need for i in items]
    chosen: list[Site] = []
    while len(chosen) < limit and any(remaining):
        pick: Site | None = None
        pick_ratio = math.inf
        for site in sites:
            if site in chosen:
                continue
            units = grams = 0
            for k, item in enumerate(items):
                take = min(site.stock[k], remaining[k])
                units += take
                grams += take * item.unit_weight_grams
            if units and (ratio := site.shipment_cost(grams) / units) < pick_ratio:
                pick, pick_ratio = site, ratio
        if pick is None:
            break
        chosen.append(pick)
        remaining = [max(r - q, 0) for r, q in zip(remaining, pick.stock, strict=True)]
    return _improve(assign(chosen, items), sites, items, limit, key)


def _improve(
    option: Option, sites: Sequence[Site], items: Sequence[Item], limit: int, key: RankKey
) -> Option:
    """Drop, swap or add single locations while that ranks better (first improvement, bounded).

    While the option is complete, a move that cannot cover the order, or whose fixed costs
    alone reach the current cost, is skipped without pricing it.
    """
    best, best_key = option, key(option)
    needs = [i.need for i in items]
    holding = [s for s in sites if any(s.stock)]
    for _ in range(20):
        current = list(best.sites)
        move = _better_move(best, current, holding, needs, limit, items, key, best_key)
        if move is None:
            return best
        best, best_key = move, key(move)
    return best


def _better_move(
    best: Option,
    current: list[Site],
    holding: list[Site],
    needs: list[int],
    limit: int,
    items: Sequence[Item],
    key: RankKey,
    best_key: tuple[float | int | str, ...],
) -> Option | None:
    complete = best.short == 0
    fixed = sum(s.fixed_minor for s in current)
    totals = [sum(s.stock[k] for s in current) for k in range(len(needs))]
    outsiders = [s for s in holding if s not in current]

    def worth_pricing(out: Site | None, new: Site | None) -> bool:
        if not complete:
            return True
        bound = fixed - (out.fixed_minor if out else 0) + (new.fixed_minor if new else 0)
        if bound >= best.cost_minor:
            return False
        for k, need in enumerate(needs):
            have = totals[k] - (out.stock[k] if out else 0) + (new.stock[k] if new else 0)
            if have < need:
                return False
        return True

    moves: list[tuple[Site | None, Site | None]] = [(out, None) for out in current]
    moves += [(out, new) for out in current for new in outsiders]
    if len(current) < limit and not complete:
        moves += [(None, new) for new in outsiders]
    for out, new in moves:
        if not worth_pricing(out, new):
            continue
        chosen = [s for s in current if s is not out]
        if new is not None:
            chosen.append(new)
        candidate = assign(chosen, items)
        if key(candidate) < best_key:
            return candidate
    return None
