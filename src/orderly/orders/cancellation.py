"""Taking units off an order's lines: what was not shipped stops being owed, and the line's and
the order's totals shrink to the units still owed (orders.domain.owed_amounts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.orders import repository
from orderly.orders.domain import LineAmounts, order_totals, owed_amounts


def shipped_by_line(row: Mapping[str, Any]) -> dict[int, int]:
    """Units of each line of a stored order that have left (shipped or collected)."""
    shipped: dict[int, int] = {}
    for a in row["allocations"]:
        if a["status"] == "shipped":
            shipped[a["line_no"]] = shipped.get(a["line_no"], 0) + a["quantity"]
    return shipped


def unshipped_by_line(row: Mapping[str, Any]) -> dict[int, int]:
    """Units of each line still owed and not shipped: reserved or backordered."""
    shipped = shipped_by_line(row)
    left = {
        line["line_no"]: line["quantity"]
        - line["cancelled_quantity"]
        - shipped.get(line["line_no"], 0)
        for line in row["lines"]
    }
    return {line_no: units for line_no, units in left.items() if units > 0}


async def take_off_lines(
    conn: AsyncConnection, org_id: int, row: Mapping[str, Any], units: Mapping[int, int]
) -> int:
    """Record `units` (per line number) as cancelled on the stored order `row` and bring the
    lines' and the order's amounts down to what is still owed. Returns the value taken off
    the order's total, in minor units."""
    owed: list[LineAmounts] = []
    for line in row["lines"]:
        taken = units.get(line["line_no"], 0)
        stored = LineAmounts(
            quantity=line["quantity"] - line["cancelled_quantity"],
            unit_price_minor=line["unit_price_minor"],
            discount_minor=line["discount_minor"],
            tax_minor=line["tax_minor"],
        )
        # The stored amounts are those of the owed units already: sharing them over the owed
        # units gives each unit the share it had of the line as ordered.
        now = owed_amounts(stored, cancelled=taken)
        owed.append(now)
        if taken:
            await repository.update_line(
                conn,
                org_id,
                row["id"],
                line["line_no"],
                cancelled_quantity=line["cancelled_quantity"] + taken,
                discount_minor=now.discount_minor,
                tax_minor=now.tax_minor,
                total_minor=now.total_minor,
            )
    totals = order_totals(owed, row["shipping_minor"])
    await repository.update_order(
        conn,
        org_id,
        row["id"],
        subtotal_minor=totals.subtotal_minor,
        discount_minor=totals.discount_minor,
        tax_minor=totals.tax_minor,
        total_minor=totals.total_minor,
    )
    return int(row["total_minor"]) - totals.total_minor
