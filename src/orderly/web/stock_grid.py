"""The inventory grid's shape: location columns grouped by the organization's hierarchy
(brand > region > location group > location), with a total column closing each level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orderly.inventory.domain import SkuStock, StockLevelView
from orderly.locations.schemas import LocationOut

UNGROUPED = "Not in a group"


@dataclass(frozen=True, slots=True)
class GridColumn:
    label: str
    kind: str  # location | group | region | brand | all
    locations: frozenset[str]


@dataclass(frozen=True, slots=True)
class GridCell:
    available: int
    on_hand: int
    reserved: int
    safety_stock: int
    stocked: bool


@dataclass(frozen=True, slots=True)
class GridRow:
    sku: str
    cells: list[GridCell]


def columns(hierarchy: list[dict[str, Any]], locations: Sequence[LocationOut]) -> list[GridColumn]:
    by_group: dict[str | None, list[str]] = {}
    for loc in locations:
        by_group.setdefault(loc.group, []).append(loc.code)
    out: list[GridColumn] = []
    placed: set[str] = set()
    for brand in hierarchy:
        brand_codes: set[str] = set()
        for region in brand["regions"]:
            region_codes: set[str] = set()
            for group in region["location_groups"]:
                codes = by_group.get(group["code"], [])
                if not codes:
                    continue
                out += [GridColumn(code, "location", frozenset({code})) for code in codes]
                out.append(GridColumn(group["name"], "group", frozenset(codes)))
                region_codes.update(codes)
            if region_codes:
                out.append(GridColumn(region["name"], "region", frozenset(region_codes)))
                brand_codes |= region_codes
        if brand_codes:
            out.append(GridColumn(brand["name"], "brand", frozenset(brand_codes)))
            placed |= brand_codes
    loose = [loc.code for loc in locations if loc.code not in placed]
    if loose:
        out += [GridColumn(code, "location", frozenset({code})) for code in loose]
        out.append(GridColumn(UNGROUPED, "group", frozenset(loose)))
    everything = frozenset(loc.code for loc in locations)
    out.append(GridColumn("All shown", "all", everything))
    return out


def _cell(levels: Sequence[StockLevelView], codes: frozenset[str]) -> GridCell:
    hit = [lv for lv in levels if lv.location in codes]
    return GridCell(
        available=sum(lv.available for lv in hit),
        on_hand=sum(lv.on_hand for lv in hit),
        reserved=sum(lv.reserved for lv in hit),
        safety_stock=sum(lv.safety_stock for lv in hit),
        stocked=bool(hit),
    )


def rows(items: Sequence[SkuStock], grid: Sequence[GridColumn]) -> list[GridRow]:
    return [
        GridRow(item.sku, [_cell(item.locations, col.locations) for col in grid]) for item in items
    ]


def totals(grid_rows: Sequence[GridRow], width: int) -> list[GridCell]:
    return [
        GridCell(
            available=sum(r.cells[i].available for r in grid_rows),
            on_hand=sum(r.cells[i].on_hand for r in grid_rows),
            reserved=sum(r.cells[i].reserved for r in grid_rows),
            safety_stock=sum(r.cells[i].safety_stock for r in grid_rows),
            stocked=True,
        )
        for i in range(width)
    ]
