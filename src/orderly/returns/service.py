"""Opening returns and moving them through their lifecycle.

Receiving lives in receiving.py; refunds and exchanges in settlement.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.locations import service as locations
from orderly.locations.domain import Capability
from orderly.orders import queries as order_queries
from orderly.orders import timeline as order_timeline
from orderly.orders.errors import OrderNotFound
from orderly.returns import repository as repo
from orderly.returns.domain import (
    OrderLineView,
    RequestedLine,
    ReturnableLine,
    ReturnSource,
    ReturnStatus,
    check_request,
    ensure_transition,
    returnable_lines,
    window_closes,
)
from orderly.returns.errors import (
    ReturnLocationInvalid,
    ReturnNotFound,
)
from orderly.returns.label_links import label_path
from orderly.returns.policy import ReturnPolicy, parse_policy
from orderly.returns.presenters import return_out
from orderly.returns.refunds import LineAmounts, units_of_return
from orderly.returns.schemas import ReturnIn, ReturnOut
from orderly.returns.tracking import follow_return_parcel
from orderly.shipping import service as shipping
from orderly.tenancy.domain import Principal


@dataclass(frozen=True, slots=True)
class ReturnableOrder:
    order: dict[str, Any]
    policy: ReturnPolicy
    lines: list[ReturnableLine]
    window_closes: datetime | None
    shipped_at: datetime | None


async def returnable_order(
    conn: AsyncConnection, org_id: int, order_id: int, *, lock: bool = False
) -> ReturnableOrder:
    """What of the order can still come back under its channel's policy."""
    order = await order_queries.order_row(conn, org_id, order_id, for_update=lock)
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    policy = parse_policy(await channels.channel_settings(conn, org_id, order["channel_id"]))
    shipped = await order_queries.shipped_units(conn, org_id, order_id)
    claimed = await repo.claimed_units(conn, org_id, order_id)
    lines = returnable_lines(
        policy,
        [OrderLineView(x["line_no"], x["sku"], x["sku_id"], x["quantity"]) for x in order["lines"]],
        shipped=shipped.by_line,
        returned=claimed,
    )
    return ReturnableOrder(
        order=order,
        policy=policy,
        lines=lines,
        window_closes=window_closes(policy, shipped.last_shipped_at),
        shipped_at=shipped.last_shipped_at,
    )


async def open_return(
    conn: AsyncConnection,
    principal: Principal,
    data: ReturnIn,
    *,
    source: ReturnSource = ReturnSource.STAFF,
) -> ReturnOut:
    org_id = principal.org_id
    view = await returnable_order(conn, org_id, data.order_id, lock=True)
    requested = [RequestedLine(x.line_no, x.quantity, x.reason) for x in data.lines]
    check_request(
        view.policy, view.lines, requested, shipped_at=view.shipped_at, now=datetime.now(UTC)
    )
    location = await _return_location(conn, org_id, data, view.policy)
    order = view.order
    by_no = {x["line_no"]: x for x in order["lines"]}
    claimed = {x.line_no: x.returned for x in view.lines}
    shipping_refund = 0
    if view.policy.refunds_shipping(
        {x.reason for x in requested}
    ) and not await repo.shipping_already_refunded(conn, org_id, order["id"]):
        shipping_refund = int(order["shipping_minor"])
    number = await repo.next_return_number(conn, org_id)
    return_id = await repo.insert_return(
        conn,
        {
            "org_id": org_id,
            "number": number,
            "order_id": order["id"],
            "status": ReturnStatus.REQUESTED.value,
            "method": data.method.value,
            "location_id": location["id"],
            "source": source.value,
            "currency": order["currency"],
            "shipping_refund_minor": shipping_refund,
            "notes": data.notes,
            "created_by": principal.actor,
        },
        [
            {
                "line_no": item.line_no,
                "sku_id": by_no[item.line_no]["sku_id"],
                "quantity": item.quantity,
                "reason": item.reason,
                "unit_amounts": units_of_return(
                    _amounts(by_no[item.line_no]),
                    already_returned=claimed.get(item.line_no, 0),
                    quantity=item.quantity,
                ),
                "restocking_fee_percent": view.policy.fee_percent(item.reason),
            }
            for item in requested
        ],
    )
    await _event(
        conn,
        principal,
        order["id"],
        "return.requested",
        {"return_id": return_id, "number": number, "source": source.value},
    )
    return await get_return(conn, org_id, return_id)


async def authorize(
    conn: AsyncConnection,
    principal: Principal,
    row: dict[str, Any],
    *,
    label: shipping.ShipmentView | None,
) -> None:
    """The return becomes authorized, a ship-back return with its label (returns.labels,
    which buys it). The event carries the label for the customer's message."""
    ensure_transition(ReturnStatus(row["status"]), ReturnStatus.AUTHORIZED)
    values: dict[str, Any] = {"status": ReturnStatus.AUTHORIZED.value, "label_problem": None}
    shown: dict[str, Any] = {}
    if label is not None:
        values["shipment_id"] = label.id
        shown = {
            "shipment_id": label.id,
            "tracking_number": label.tracking_number,
            "carrier": label.carrier,
            "label_pdf_url": label.label_pdf_url,
        }
    await repo.update_return(conn, principal.org_id, row["id"], **values)
    await _event(
        conn,
        principal,
        row["order_id"],
        "return.authorized",
        {
            "return_id": row["id"],
            "number": row["number"],
            "method": row["method"],
            "location": row["location"],
            **shown,
        },
    )


async def on_return_shipment_status_changed(
    conn: AsyncConnection, org_id: int, change: Any
) -> bool:
    """Called by shipping's tracking follow-up for a shipment that belongs to no fulfillment
    order; True when it is a return's label (returns.tracking)."""
    return await follow_return_parcel(conn, org_id, change)


async def mark_in_transit(conn: AsyncConnection, principal: Principal, return_id: int) -> ReturnOut:
    return await _move(conn, principal, return_id, ReturnStatus.IN_TRANSIT, "return.in_transit")


async def reject_return(
    conn: AsyncConnection, principal: Principal, return_id: int, reason: str | None
) -> ReturnOut:
    return await _move(
        conn, principal, return_id, ReturnStatus.REJECTED, "return.rejected", reason=reason
    )


async def cancel_return(
    conn: AsyncConnection, principal: Principal, return_id: int, reason: str | None
) -> ReturnOut:
    """Cancel a return nothing of which has arrived (returns.labels voids its unused label
    once this is committed)."""
    return await _move(
        conn, principal, return_id, ReturnStatus.CANCELLED, "return.cancelled", reason=reason
    )


async def close_return(
    conn: AsyncConnection, principal: Principal, return_id: int, reason: str | None
) -> ReturnOut:
    return await _move(
        conn,
        principal,
        return_id,
        ReturnStatus.CLOSED,
        "return.closed",
        reason=reason,
        closed_at=datetime.now(UTC),
    )


async def _move(
    conn: AsyncConnection,
    principal: Principal,
    return_id: int,
    target: ReturnStatus,
    event: str,
    *,
    reason: str | None = None,
    **values: Any,
) -> ReturnOut:
    row = await _row(conn, principal.org_id, return_id, for_update=True)
    ensure_transition(ReturnStatus(row["status"]), target)
    await repo.update_return(conn, principal.org_id, return_id, status=target.value, **values)
    await _event(
        conn,
        principal,
        row["order_id"],
        event,
        {"return_id": return_id, "number": row["number"], "reason": reason},
    )
    return await get_return(conn, principal.org_id, return_id)


async def get_return(conn: AsyncConnection, org_id: int, return_id: int) -> ReturnOut:
    return return_out(await _row(conn, org_id, return_id))


async def list_returns(
    conn: AsyncConnection,
    org_id: int,
    *,
    order_id: int | None,
    status: ReturnStatus | None,
    limit: int,
    cursor: str | None,
    location_ids: Sequence[int] | None = None,
) -> Page[ReturnOut]:
    """Newest first; with `location_ids`, only the returns received at those locations."""
    after = id_cursor(cursor)
    rows = await repo.list_returns(
        conn,
        org_id,
        order_id=order_id,
        status=status.value if status else None,
        limit=limit + 1,
        after_id=after,
        location_ids=location_ids,
    )
    items = [return_out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def _row(
    conn: AsyncConnection, org_id: int, return_id: int, *, for_update: bool = False
) -> dict[str, Any]:
    row = await repo.get_return(conn, org_id, return_id, for_update=for_update)
    if row is None:
        raise ReturnNotFound(f"no return {return_id}")
    return row


async def return_row(
    conn: AsyncConnection, org_id: int, return_id: int, *, for_update: bool = False
) -> dict[str, Any]:
    return await _row(conn, org_id, return_id, for_update=for_update)


async def _return_location(
    conn: AsyncConnection, org_id: int, data: ReturnIn, policy: ReturnPolicy
) -> dict[str, Any]:
    code = data.location or policy.returns_location
    if code is not None:
        found = (await locations.locations_by_code(conn, org_id, [code])).get(code)
        if found is None or not found.active or Capability.RETURNS not in found.capabilities:
            raise ReturnLocationInvalid(
                f"{code!r} is not an active location that takes returns", field="location"
            )
        return {"id": found.id, "code": found.code}
    page = await locations.list_locations(
        conn, org_id, active=True, capability=Capability.RETURNS, limit=200
    )
    candidates = sorted(page.items, key=lambda x: (x.priority, x.id))
    if not candidates:
        raise ReturnLocationInvalid(
            "no active location has the returns capability", field="location"
        )
    return {"id": candidates[0].id, "code": candidates[0].code}


def _amounts(line: dict[str, Any]) -> LineAmounts:
    # The line's discount, tax and total are those of its units still owed (not cancelled).
    return LineAmounts(
        quantity=line["quantity"] - line["cancelled_quantity"],
        unit_price_minor=line["unit_price_minor"],
        discount_minor=line["discount_minor"],
        tax_minor=line["tax_minor"],
    )


async def _event(
    conn: AsyncConnection, principal: Principal, order_id: int, kind: str, data: dict[str, Any]
) -> None:
    await order_timeline.append_events(
        conn, principal.org_id, order_id, [(kind, data)], principal.actor
    )


async def record_event(
    conn: AsyncConnection, principal: Principal, order_id: int, kind: str, data: dict[str, Any]
) -> None:
    await _event(conn, principal, order_id, kind, data)


def customer_label_path(secret: str, org_id: int, return_id: int) -> str:
    """The path of a signed link to a return's label, for the customer's e-mail
    (returns.label_links; the page answers it at `GET /returns/label/{token}`)."""
    return label_path(secret, org_id, return_id)
