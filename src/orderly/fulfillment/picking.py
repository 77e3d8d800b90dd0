"""Pick lists: a wave of one location's accepted fulfillment orders, walked by bin."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import outside_port, repository, service, steps
from orderly.fulfillment.domain import (
    FulfillmentStatus,
    PickListStatus,
    RejectReason,
    bin_sort_key,
    ensure_pick_list_transition,
    short_picks,
)
from orderly.fulfillment.errors import (
    InvalidLines,
    NothingToPick,
    PickListNotFound,
    UnknownLocation,
)
from orderly.fulfillment.models import fulfillment_orders, pick_lists
from orderly.fulfillment.schemas import (
    PickConfirmLine,
    PickItemOut,
    PickListIn,
    PickListOut,
    PickOrderOut,
    ShortPickOut,
)
from orderly.locations import service as locations
from orderly.orders import fulfillment_status
from orderly.orders.models import orders
from orderly.tenancy.domain import Principal

F = FulfillmentStatus
fo = fulfillment_orders


async def location_id(conn: AsyncConnection, org_id: int, code: str, field: str) -> int:
    found = await locations.locations_by_code(conn, org_id, [code])
    if code not in found:
        raise UnknownLocation(f"no location {code!r}", field=field)
    return found[code].id


async def create_pick_list(
    conn: AsyncConnection, principal: Principal, payload: PickListIn
) -> PickListOut:
    """Take up to `max_orders` accepted fulfillment orders of the location into one wave, those
    whose order must ship soonest first (a marketplace's ship-by date), then the oldest; they
    move to picking. Orders another picker is taking right now are skipped."""
    org_id = principal.org_id
    loc = await location_id(conn, org_id, payload.location, "location")
    await outside_port.refuse_if_operated_by_others(conn, org_id, loc, action="picks")
    query = (
        sa.select(fo.c.id, fo.c.order_id)
        .join(orders, orders.c.id == fo.c.order_id)
        .where(
            fo.c.org_id == org_id,
            fo.c.location_id == loc,
            fo.c.status == F.ACCEPTED.value,
        )
        .order_by(orders.c.ship_by.asc().nulls_last(), fo.c.id)
        .limit(payload.max_orders)
        .with_for_update(skip_locked=True, of=fo)
    )
    if payload.fulfillment_order_ids is not None:
        query = query.where(fo.c.id.in_(payload.fulfillment_order_ids))
    chosen = (await conn.execute(query)).all()
    if not chosen:
        raise NothingToPick(f"no accepted fulfillment order waits at {payload.location}")
    pick_list_id: int = (
        await conn.execute(
            sa.insert(pick_lists)
            .values(org_id=org_id, location_id=loc, actor=principal.actor)
            .returning(pick_lists.c.id)
        )
    ).scalar_one()
    await conn.execute(
        sa.update(fo)
        .where(fo.c.org_id == org_id, fo.c.id.in_([r.id for r in chosen]))
        .values(status=F.PICKING.value, pick_list_id=pick_list_id, updated_at=sa.func.now())
    )
    await fulfillment_status.append_events_for_orders(
        conn,
        org_id,
        [
            (
                r.order_id,
                "fulfillment.picking",
                {
                    "fulfillment_order_id": r.id,
                    "location": payload.location,
                    "pick_list_id": pick_list_id,
                    "from": F.ACCEPTED.value,
                },
            )
            for r in chosen
        ],
        principal.actor,
    )
    return await get_pick_list(conn, org_id, pick_list_id)


async def confirm_pick_list(
    conn: AsyncConnection,
    principal: Principal,
    pick_list_id: int,
    picks: Sequence[PickConfirmLine],
) -> PickListOut:
    """Record what was picked. A line not reported was picked in full; a short pick is
    recorded and its missing units are rejected as not found, which corrects the location's
    count and re-routes them."""
    org_id = principal.org_id
    header = await _header(conn, org_id, pick_list_id, for_update=True)
    ensure_pick_list_transition(PickListStatus(header["status"]), PickListStatus.CONFIRMED)
    members = await _members(conn, org_id, pick_list_id)
    reported: dict[int, dict[int, int]] = defaultdict(dict)
    for i, pick in enumerate(picks):
        if pick.fulfillment_order_id not in members:
            raise InvalidLines(
                f"fulfillment order {pick.fulfillment_order_id} is not on this pick list",
                field=f"picks.{i}.fulfillment_order_id",
            )
        reported[pick.fulfillment_order_id][pick.line_no] = pick.quantity
    shorts: list[ShortPickOut] = []
    for fo_id in members:
        order, row = await steps.lock(conn, org_id, fo_id)
        if row.status != F.PICKING.value or row.pick_list_id != pick_list_id:
            continue
        picked = {x.line_no: x.wanted for x in row.lines}
        for line_no, quantity in reported.get(fo_id, {}).items():
            line = row.line(line_no)
            if line is None or quantity > line.wanted:
                raise InvalidLines(
                    f"line {line_no} of fulfillment order {fo_id} wants "
                    f"{line.wanted if line else 0} unit(s)",
                    field="picks",
                )
            picked[line_no] = quantity
        short = short_picks(row.lines, picked)
        await repository.set_picked(conn, fo_id, picked)
        await repository.update_fulfillment_order(conn, org_id, fo_id, picked_at=sa.func.now())
        await steps.event(
            conn,
            principal,
            order,
            "fulfillment.picked",
            row,
            {"pick_list_id": pick_list_id, "picked": _by_line(picked), "short": _by_line(short)},
        )
        if short:
            shorts.extend(
                ShortPickOut(fulfillment_order_id=fo_id, line_no=k, short=v)
                for k, v in short.items()
            )
            await service.reject_units(
                conn,
                principal,
                order,
                row,
                short,
                reason=RejectReason.NOT_FOUND,
                note=f"short pick on pick list {pick_list_id}",
            )
    await conn.execute(
        sa.update(pick_lists)
        .where(pick_lists.c.org_id == org_id, pick_lists.c.id == pick_list_id)
        .values(status=PickListStatus.CONFIRMED.value, confirmed_at=sa.func.now())
    )
    out = await get_pick_list(conn, org_id, pick_list_id)
    return out.model_copy(update={"short_picks": shorts})


_ITEMS = sa.text(
    """
    SELECT f.id AS fulfillment_order_id, o.number AS order_number, x.line_no,
           x.quantity - x.rejected AS quantity, x.picked, s.code AS sku, s.name, b.bin
      FROM fulfillment_orders f
      JOIN fulfillment_order_lines x ON x.fulfillment_order_id = f.id
      JOIN orders o ON o.id = f.order_id
      JOIN skus s ON s.id = x.sku_id
      LEFT JOIN sku_bins b
        ON b.org_id = f.org_id AND b.location_id = f.location_id AND b.sku_id = x.sku_id
     WHERE f.org_id = :org_id AND f.pick_list_id = :pick_list_id
     ORDER BY f.id, x.line_no
    """
)


async def get_pick_list(conn: AsyncConnection, org_id: int, pick_list_id: int) -> PickListOut:
    header = await _header(conn, org_id, pick_list_id)
    rows = (await conn.execute(_ITEMS, {"org_id": org_id, "pick_list_id": pick_list_id})).all()
    by_sku: dict[str, dict[str, Any]] = {}
    for r in rows:
        item = by_sku.setdefault(
            r.sku, {"bin": r.bin, "sku": r.sku, "name": r.name, "quantity": 0, "orders": []}
        )
        item["quantity"] += r.quantity
        item["orders"].append(
            PickOrderOut(
                fulfillment_order_id=r.fulfillment_order_id,
                order_number=r.order_number,
                line_no=r.line_no,
                quantity=r.quantity,
                picked=r.picked,
            )
        )
    items = [
        PickItemOut(**item)
        for item in sorted(by_sku.values(), key=lambda i: bin_sort_key(i["bin"], i["sku"]))
    ]
    return PickListOut(
        id=header["id"],
        location=header["location"],
        status=header["status"],
        fulfillment_order_ids=sorted({r.fulfillment_order_id for r in rows}),
        items=items,
        created_at=header["created_at"],
        confirmed_at=header["confirmed_at"],
    )


_HEADER_SQL = (
    "SELECT p.*, l.code AS location FROM pick_lists p JOIN locations l ON l.id = p.location_id"
    " WHERE p.org_id = :org_id AND p.id = :id"
)
_HEADER = sa.text(_HEADER_SQL)
_HEADER_FOR_UPDATE = sa.text(_HEADER_SQL + " FOR UPDATE OF p")


async def _header(
    conn: AsyncConnection, org_id: int, pick_list_id: int, *, for_update: bool = False
) -> dict[str, Any]:
    query = _HEADER_FOR_UPDATE if for_update else _HEADER
    row = (await conn.execute(query, {"org_id": org_id, "id": pick_list_id})).first()
    if row is None:
        raise PickListNotFound(f"no pick list {pick_list_id}")
    return dict(row._mapping)


async def _members(conn: AsyncConnection, org_id: int, pick_list_id: int) -> list[int]:
    rows = await conn.execute(
        sa.select(fo.c.id)
        .where(fo.c.org_id == org_id, fo.c.pick_list_id == pick_list_id)
        .order_by(fo.c.id)
    )
    return [r.id for r in rows]


def _by_line(units: dict[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(units.items())}


async def pick_list_pdf(conn: AsyncConnection, org_id: int, pick_list_id: int) -> bytes:
    from orderly.fulfillment.documents import pick_list_pdf as render

    return render(await get_pick_list(conn, org_id, pick_list_id))
