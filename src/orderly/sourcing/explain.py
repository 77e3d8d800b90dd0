"""Why each candidate location was chosen or rejected: stable codes and plain sentences."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from orderly.sourcing.config import BackorderPolicy, RankBy
from orderly.sourcing.domain import LocationDecision
from orderly.sourcing.search import Item, Option, Site


class Reason(StrEnum):
    CHOSEN = "chosen"
    NOT_PICKUP_LOCATION = "not_pickup_location"
    NOT_ELIGIBLE_FOR_CHANNEL = "not_eligible_for_channel"
    LACKS_CAPABILITY = "lacks_capability"
    DOES_NOT_SHIP_TO_COUNTRY = "does_not_ship_to_country"
    KIND_NOT_ALLOWED = "kind_not_allowed"
    EXCLUDED = "excluded"
    TOO_FAR = "too_far"
    OVER_CAPACITY = "over_capacity"
    NO_STOCK = "no_stock"
    COSTS_MORE = "costs_more"
    MORE_SHIPMENTS = "more_shipments"
    RANKED_LOWER = "ranked_lower"
    SHIPMENT_LIMIT = "shipment_limit"


Rejection = tuple[Reason, str]


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


# Enum members looked up once: attribute access on an enum class is slow in a hot loop.
_CHOSEN, _SHORT_BUT_LIMITED, _COSTS_MORE, _RANKED_LOWER, _MORE_SHIPMENTS = (
    Reason.CHOSEN,
    Reason.SHIPMENT_LIMIT,
    Reason.COSTS_MORE,
    Reason.RANKED_LOWER,
    Reason.MORE_SHIPMENTS,
)
_COST = RankBy.COST
# Builds a LocationDecision without the Python-level __new__ of a NamedTuple (hot loop).
_new = tuple.__new__


def site_decisions(
    sites: Sequence[Site], option: Option, items: Sequence[Item], ranking: Sequence[RankBy]
) -> list[LocationDecision]:
    """Decisions for the locations that hold stock of the order, chosen or not."""
    decisions: list[LocationDecision] = []
    chosen = {id(s): units for s, units in zip(option.sites, option.units, strict=True)}
    total_grams = sum(i.need * i.unit_weight_grams for i in items)
    short_items = _short_items(option, items)
    codes = ", ".join(s.code for s in option.sites) or "nothing"
    cost = money(option.cost_minor)
    split = len(option.sites) > 1
    by_cost = _COST in ranking
    for site in sites:
        loc = site.location
        units = chosen.get(id(site))
        if units is not None:
            grams = sum(u * i.unit_weight_grams for u, i in zip(units, items, strict=True))
            detail = f"ships {sum(units)} unit(s) for {money(site.shipment_cost(grams))}"
            if site.distance_km is not None:
                detail += f", {site.distance_km:.0f} km away"
            decisions.append(_new(LocationDecision, (loc.id, loc.code, _CHOSEN, detail, True)))
            continue
        if short_items and any(site.stock[k] for k in short_items):
            reason, detail = _SHORT_BUT_LIMITED, _SHIPMENT_LIMIT_TEXT
        elif site.full:
            alone = site.shipment_cost(total_grams)
            if by_cost and alone > option.cost_minor:
                reason = _COSTS_MORE
                detail = f"could ship everything for {money(alone)}, more than the chosen {cost}"
            else:
                reason = _RANKED_LOWER
                detail = f"could ship everything; {codes} ranked better"
        elif not split:
            reason = _MORE_SHIPMENTS
            detail = f"holds only part of the order; {codes} ships it in fewer shipments"
        elif by_cost:
            reason = _COSTS_MORE
            detail = f"holds part of the order; shipping from {codes} costs less"
        else:
            reason, detail = _RANKED_LOWER, f"holds part of the order; {codes} ranked better"
        decisions.append(_new(LocationDecision, (loc.id, loc.code, reason, detail, False)))
    return decisions


_SHIPMENT_LIMIT_TEXT = "holds units that are short, but the split policy allows no further shipment"


def _short_items(option: Option, items: Sequence[Item]) -> set[int]:
    if not option.short:
        return set()
    supplied = [sum(units[k] for units in option.units) for k in range(len(items))]
    return {k for k, item in enumerate(items) if supplied[k] < item.need}


def summary(
    option: Option,
    *,
    eligible: int,
    singles: int,
    short_units: int,
    policy: BackorderPolicy,
) -> list[str]:
    lines: list[str] = []
    codes = ", ".join(s.code for s in option.sites)
    if eligible == 0:
        lines.append("no location is eligible to fulfil this order")
    elif len(option.sites) == 1 and not short_units:
        lines.append(
            f"one shipment from {codes} for {money(option.cost_minor)}, "
            f"best of {singles} location(s) that hold every line"
        )
    elif len(option.sites) > 1:
        why = "no single location holds every line" if not singles else "splitting ranks better"
        lines.append(
            f"{len(option.sites)} shipments from {codes} for {money(option.cost_minor)}: {why}"
        )
    elif len(option.sites) == 1:
        lines.append(f"one shipment from {codes} for {money(option.cost_minor)}")
    if short_units:
        outcome = {
            BackorderPolicy.BACKORDER: "backordered",
            BackorderPolicy.HOLD_ORDER: "the order is held for stock",
            BackorderPolicy.CANCEL_LINE: "cancelled from their lines",
        }[policy]
        lines.append(f"{short_units} unit(s) not available at any eligible location: {outcome}")
    return lines
