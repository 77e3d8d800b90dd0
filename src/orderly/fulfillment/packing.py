"""Packing: a location's box catalogue and bins, and packing a fulfillment order into parcels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import service as catalog
from orderly.catalog.schemas import ProductOut
from orderly.fulfillment import outside_port, repository, service, steps
from orderly.fulfillment.domain import (
    Box,
    FulfillmentStatus,
    NothingFits,
    PackItem,
    PlannedParcel,
    ensure_transition,
    plan_parcels,
)
from orderly.fulfillment.errors import (
    InvalidLines,
    LocationNotFound,
    NoBoxFits,
    UnknownBox,
    UnknownLocation,
    UnknownSku,
)
from orderly.fulfillment.models import boxes, sku_bins
from orderly.fulfillment.picking import location_id
from orderly.fulfillment.repository import FulfillmentRow
from orderly.fulfillment.schemas import (
    BinIn,
    BinOut,
    BoxIn,
    BoxOut,
    FulfillmentOrderOut,
    ParcelChoice,
)
from orderly.orders.fulfillment_status import order_for_fulfillment
from orderly.tenancy.domain import Principal

F = FulfillmentStatus


# The location's set-up ----------------------------------------------------------------------


async def _path_location(conn: AsyncConnection, org_id: int, code: str) -> int:
    """The location the URL names: unknown there (or another organization's) is a 404."""
    try:
        return await location_id(conn, org_id, code, "location")
    except UnknownLocation:
        raise LocationNotFound(f"no location {code!r}") from None


async def set_boxes(
    conn: AsyncConnection, principal: Principal, location: str, catalogue: Sequence[BoxIn]
) -> list[BoxOut]:
    """Replace the location's box catalogue."""
    loc = await _path_location(conn, principal.org_id, location)
    await conn.execute(
        sa.delete(boxes).where(boxes.c.org_id == principal.org_id, boxes.c.location_id == loc)
    )
    seen: set[str] = set()
    for i, box in enumerate(catalogue):
        if box.code in seen:
            raise UnknownBox(f"box {box.code!r} is listed twice", field=f"boxes.{i}.code")
        seen.add(box.code)
    if catalogue:
        await conn.execute(
            sa.insert(boxes),
            [{"org_id": principal.org_id, "location_id": loc, **b.model_dump()} for b in catalogue],
        )
    return await box_catalogue(conn, principal.org_id, location)


async def box_catalogue(conn: AsyncConnection, org_id: int, location: str) -> list[BoxOut]:
    loc = await _path_location(conn, org_id, location)
    return [BoxOut(**_box_values(b)) for b in await _boxes(conn, org_id, loc)]


async def set_bins(
    conn: AsyncConnection, principal: Principal, location: str, bins: Sequence[BinIn]
) -> list[BinOut]:
    """Set the bin of these SKUs at the location (others keep theirs)."""
    org_id = principal.org_id
    loc = await _path_location(conn, org_id, location)
    found = await catalog.skus_by_code(conn, org_id, sorted({b.sku for b in bins}))
    for i, b in enumerate(bins):
        if b.sku not in found:
            raise UnknownSku(f"no SKU {b.sku!r}", field=f"bins.{i}.sku")
    if bins:
        stmt = pg_insert(sku_bins).values(
            [
                {"org_id": org_id, "location_id": loc, "sku_id": found[b.sku].id, "bin": b.bin}
                for b in {b.sku: b for b in bins}.values()
            ]
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["org_id", "location_id", "sku_id"],
                set_={"bin": stmt.excluded.bin, "updated_at": sa.func.now()},
            )
        )
    return await location_bins(conn, org_id, location)


async def location_bins(conn: AsyncConnection, org_id: int, location: str) -> list[BinOut]:
    loc = await _path_location(conn, org_id, location)
    rows = await conn.execute(
        sa.text(
            "SELECT s.code AS sku, b.bin FROM sku_bins b JOIN skus s ON s.id = b.sku_id"
            " WHERE b.org_id = :org_id AND b.location_id = :loc ORDER BY b.bin, s.code"
        ),
        {"org_id": org_id, "loc": loc},
    )
    return [BinOut(sku=r.sku, bin=r.bin) for r in rows]


# Packing ------------------------------------------------------------------------------------


async def pack(
    conn: AsyncConnection,
    principal: Principal,
    fo_id: int,
    choice: Sequence[ParcelChoice] | None,
) -> FulfillmentOrderOut:
    """Pack every picked unit: into the boxes the packer chose, or into the smallest boxes of
    the location's catalogue that hold them (by size, volume and weight)."""
    org_id = principal.org_id
    order, fo = await steps.lock(conn, org_id, fo_id)
    await outside_port.refuse_if_operated_by_others(conn, org_id, fo.location_id, action="packs")
    ensure_transition(F(fo.status), F.PACKED)
    to_pack = _units_to_pack(fo)
    if fo.picked_at is None:
        await repository.set_picked(conn, fo.id, {x.line_no: x.wanted for x in fo.lines})
    products = {
        x.sku_id: await catalog.get_product(conn, org_id, x.sku_id)
        for x in fo.lines
        if to_pack.get(x.line_no)
    }
    items = _items(fo, to_pack, products)
    catalogue = await _boxes(conn, org_id, fo.location_id)
    planned = (
        _chosen(choice, catalogue, items) if choice is not None else _planned(catalogue, items, fo)
    )
    await repository.insert_parcels(
        conn,
        org_id,
        fo.id,
        [
            {
                "box_code": p.box.code,
                "length_mm": p.box.length_mm,
                "width_mm": p.box.width_mm,
                "height_mm": p.box.height_mm,
                "weight_grams": p.weight_grams,
                "items": [{"line_no": k, "quantity": v} for k, v in sorted(p.quantities().items())],
            }
            for p in planned
        ],
    )
    await repository.add_to_lines(conn, fo.id, "packed", to_pack)
    await steps.move(
        conn,
        principal,
        order,
        fo,
        F.PACKED,
        packed_at=sa.func.now(),
        picked_at=sa.func.coalesce(repository.fo.c.picked_at, sa.func.now()),
        data={
            "parcels": [
                {"box": p.box.code, "weight_grams": p.weight_grams, "items": p.quantities()}
                for p in planned
            ]
        },
    )
    return await service.get_fulfillment_order(conn, org_id, fo_id)


def _units_to_pack(fo: FulfillmentRow) -> dict[int, int]:
    units = {}
    for x in fo.lines:
        picked = x.wanted if x.picked is None else min(x.picked, x.wanted)
        if picked - x.packed > 0:
            units[x.line_no] = picked - x.packed
    return units


def _items(
    fo: FulfillmentRow, to_pack: dict[int, int], products: dict[int, ProductOut]
) -> list[PackItem]:
    items: list[PackItem] = []
    for x in fo.lines:
        p = products.get(x.sku_id)
        if p is None:
            continue
        dims = None
        if p.length_mm and p.width_mm and p.height_mm:
            dims = (p.length_mm, p.width_mm, p.height_mm)
        items.extend(PackItem(x.line_no, p.weight_grams, dims) for _ in range(to_pack[x.line_no]))
    return items


def _planned(
    catalogue: list[Box], items: list[PackItem], fo: FulfillmentRow
) -> list[PlannedParcel]:
    if not catalogue:
        raise NoBoxFits(f"{fo.location_code} has no box catalogue; set one first")
    try:
        return plan_parcels(items, catalogue)
    except NothingFits as exc:
        raise NoBoxFits(
            f"no box at {fo.location_code} holds an item of line {exc.item.line_no}",
            extra={"line_no": exc.item.line_no},
        ) from None


def _chosen(
    choice: Sequence[ParcelChoice],
    catalogue: list[Box],
    items: list[PackItem],
) -> list[PlannedParcel]:
    by_code = {b.code: b for b in catalogue}
    pool: dict[int, list[PackItem]] = {}
    for item in items:
        pool.setdefault(item.line_no, []).append(item)
    planned = []
    for i, parcel in enumerate(choice):
        box = by_code.get(parcel.box)
        if box is None:
            raise UnknownBox(f"no box {parcel.box!r} at this location", field=f"parcels.{i}.box")
        content: list[PackItem] = []
        for j, wanted in enumerate(parcel.items):
            left = pool.get(wanted.line_no, [])
            if len(left) < wanted.quantity:
                raise InvalidLines(
                    f"line {wanted.line_no} has fewer units left to pack",
                    field=f"parcels.{i}.items.{j}.quantity",
                )
            content.extend(left[: wanted.quantity])
            del left[: wanted.quantity]
        planned.append(PlannedParcel(box, tuple(content)))
    if any(pool.values()):
        raise InvalidLines(
            "the parcels leave units unpacked: pack every picked unit",
            field="parcels",
            extra={"unpacked": {str(k): len(v) for k, v in pool.items() if v}},
        )
    return planned


async def _boxes(conn: AsyncConnection, org_id: int, loc: int) -> list[Box]:
    rows = await conn.execute(
        sa.select(boxes)
        .where(boxes.c.org_id == org_id, boxes.c.location_id == loc)
        .order_by(boxes.c.code)
    )
    return [
        Box(r.code, r.length_mm, r.width_mm, r.height_mm, r.max_weight_grams, r.tare_grams)
        for r in rows
    ]


def _box_values(b: Box) -> dict[str, Any]:
    return {
        "code": b.code,
        "length_mm": b.length_mm,
        "width_mm": b.width_mm,
        "height_mm": b.height_mm,
        "max_weight_grams": b.max_weight_grams,
        "tare_grams": b.tare_grams,
    }


async def packing_slip(conn: AsyncConnection, org_id: int, fo_id: int) -> bytes:
    from orderly.fulfillment.documents import packing_slip_pdf  # reportlab loads on first use

    fo = await service.get_fulfillment_order(conn, org_id, fo_id)
    order = await order_for_fulfillment(conn, org_id, fo.order_id)
    return packing_slip_pdf(fo, order.shipping_address, order.customer_name)
