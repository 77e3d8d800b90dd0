"""Receiving returned units at a location, with each unit's inspection outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory.arrivals import stock_arrived
from orderly.inventory.reservations import StockRequest
from orderly.inventory.returns_stock import restock_returned_units
from orderly.locations import service as locations
from orderly.locations.domain import Capability
from orderly.returns import repository as repo
from orderly.returns import service
from orderly.returns.domain import RECEIVABLE, ReturnStatus, ensure_transition
from orderly.returns.errors import (
    ReceiptExceedsAuthorized,
    ReturnLineInvalid,
    ReturnLocationInvalid,
)
from orderly.returns.schemas import ReceiveIn, ReturnOut
from orderly.tenancy.domain import Principal


async def receive_return(
    conn: AsyncConnection, principal: Principal, return_id: int, data: ReceiveIn
) -> ReturnOut:
    """Restocked units become sellable at the location (ledger `returned`); damaged units are
    counted on the line and kept out of stock (quarantine); disposed units are only counted.
    A receipt may be partial; more receipts follow until every authorised unit is in."""
    org_id = principal.org_id
    row = await service.return_row(conn, org_id, return_id, for_update=True)
    status = ReturnStatus(row["status"])
    if status not in RECEIVABLE:
        ensure_transition(status, ReturnStatus.RECEIVED)
    location_id = await _location_id(conn, org_id, data.location, row)
    outcomes = _outcomes(row, data)
    by_no = {x["line_no"]: x for x in row["lines"]}
    await restock_returned_units(
        conn,
        org_id=org_id,
        requests=[
            StockRequest(by_no[n]["sku_id"], location_id, restock)
            for n, (restock, _, _) in sorted(outcomes.items())
        ],
        order_id=row["order_id"],
        reference=f"return:{row['number']}",
        reason="returned",
        actor=principal.actor,
    )
    # Restocked units can fill waiting backorders, as any other stock that arrives.
    await stock_arrived(
        conn, org_id, {by_no[n]["sku_id"] for n, (restock, _, _) in outcomes.items() if restock}
    )
    await repo.add_outcomes(conn, org_id, return_id, outcomes)
    values: dict[str, Any] = {"received_at": datetime.now(UTC)}
    if status in (ReturnStatus.AUTHORIZED, ReturnStatus.IN_TRANSIT):
        values["status"] = ReturnStatus.RECEIVED.value
    await repo.update_return(conn, org_id, return_id, **values)
    await service.record_event(
        conn,
        principal,
        row["order_id"],
        "return.received",
        {
            "return_id": return_id,
            "number": row["number"],
            "location_id": location_id,
            "lines": [
                {"line_no": n, "restocked": r, "damaged": d, "disposed": x}
                for n, (r, d, x) in sorted(outcomes.items())
            ],
        },
    )
    return await service.get_return(conn, org_id, return_id)


def _outcomes(row: dict[str, Any], data: ReceiveIn) -> dict[int, tuple[int, int, int]]:
    by_no = {x["line_no"]: x for x in row["lines"]}
    outcomes: dict[int, tuple[int, int, int]] = {}
    for i, item in enumerate(data.lines):
        line = by_no.get(item.line_no)
        if line is None:
            raise ReturnLineInvalid(
                f"the return has no line {item.line_no}", field=f"lines.{i}.line_no"
            )
        before = outcomes.get(item.line_no, (0, 0, 0))
        now = (before[0] + item.restock, before[1] + item.damaged, before[2] + item.dispose)
        received = line["restocked"] + line["damaged"] + line["disposed"]
        if received + sum(now) > line["quantity"]:
            raise ReceiptExceedsAuthorized(
                f"line {item.line_no} was authorised for {line['quantity']} unit(s) and "
                f"{received} already arrived",
                field=f"lines.{i}",
            )
        outcomes[item.line_no] = now
    if not any(sum(x) for x in outcomes.values()):
        raise ReturnLineInvalid("the receipt holds no units", field="lines")
    return outcomes


async def _location_id(
    conn: AsyncConnection, org_id: int, code: str | None, row: dict[str, Any]
) -> int:
    if code is None or code == row["location"]:
        return int(row["location_id"])
    found = (await locations.locations_by_code(conn, org_id, [code])).get(code)
    if found is None or not found.active or not found.can(Capability.RETURNS):
        raise ReturnLocationInvalid(
            f"{code!r} is not an active location that takes returns", field="location"
        )
    return found.id
