"""Auto-restock: replenishment rules per SKU and location, a supplier per SKU, and the job that
drafts purchase orders for what runs low, safe to run any number of times
(docs/automation.md, "Auto-restock").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.automation import repository
from orderly.automation.domain import ReplenishmentRule, reorder_quantity
from orderly.automation.errors import InvalidReplenishment, NotASupplier
from orderly.automation.schemas import (
    ReplenishmentRuleIn,
    ReplenishmentRuleOut,
    SkuSupplierIn,
    SkuSupplierOut,
)
from orderly.catalog import service as catalog
from orderly.kit.money import MoneyError, from_minor, to_minor
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.locations import service as locations
from orderly.locations.domain import LocationKind


async def set_rules(
    conn: AsyncConnection, org_id: int, items: Sequence[ReplenishmentRuleIn]
) -> list[ReplenishmentRuleOut]:
    skus = await catalog.skus_by_code(conn, org_id, sorted({i.sku for i in items}))
    places = await locations.locations_by_code(conn, org_id, sorted({i.location for i in items}))
    rows = {}
    for n, item in enumerate(items):
        field = f"rules.{n}"
        if item.sku not in skus:
            raise InvalidReplenishment(f"no SKU {item.sku!r}", field=f"{field}.sku")
        place = places.get(item.location)
        if place is None or place.kind is LocationKind.SUPPLIER:
            raise InvalidReplenishment(
                f"no stocking location {item.location!r}", field=f"{field}.location"
            )
        rule = ReplenishmentRule(item.reorder_point, item.min_quantity, item.max_quantity)
        problem = rule.problem()
        if problem is not None:
            raise InvalidReplenishment(problem[1], field=f"{field}.{problem[0]}")
        rows[(skus[item.sku].id, place.id)] = {
            "sku_id": skus[item.sku].id,
            "location_id": place.id,
            "reorder_point": item.reorder_point,
            "min_quantity": item.min_quantity,
            "max_quantity": item.max_quantity,
        }
    ids = await repository.upsert_rules(conn, org_id, [rows[k] for k in sorted(rows)])
    return [
        ReplenishmentRuleOut(id=ids[(skus[i.sku].id, places[i.location].id)], **i.model_dump())
        for i in items
    ]


async def list_rules(
    conn: AsyncConnection,
    org_id: int,
    *,
    limit: int,
    cursor: str | None,
    location_ids: Sequence[int] | None = None,
) -> Page[ReplenishmentRuleOut]:
    """With `location_ids`, only the rules of those locations."""
    after = id_cursor(cursor)
    rows = await repository.list_rules(
        conn, org_id, after=after, limit=limit + 1, location_ids=location_ids
    )
    items = [ReplenishmentRuleOut(**r._mapping) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def set_suppliers(
    conn: AsyncConnection, org_id: int, items: Sequence[SkuSupplierIn]
) -> list[SkuSupplierOut]:
    skus = await catalog.skus_by_code(conn, org_id, sorted({i.sku for i in items}))
    places = await locations.locations_by_code(conn, org_id, sorted({i.supplier for i in items}))
    rows = {}
    for n, item in enumerate(items):
        field = f"suppliers.{n}"
        if item.sku not in skus:
            raise InvalidReplenishment(f"no SKU {item.sku!r}", field=f"{field}.sku")
        place = places.get(item.supplier)
        if place is None or place.kind is not LocationKind.SUPPLIER:
            raise NotASupplier(
                f"no location of kind supplier with code {item.supplier!r}",
                field=f"{field}.supplier",
            )
        try:
            cost = to_minor(item.cost, item.currency)
        except MoneyError as exc:
            raise InvalidReplenishment(str(exc), field=f"{field}.cost") from None
        rows[skus[item.sku].id] = {
            "sku_id": skus[item.sku].id,
            "supplier_location_id": place.id,
            "cost_minor": cost,
            "currency": item.currency,
            "lead_time_days": item.lead_time_days,
            "pack_size": item.pack_size,
        }
    await repository.upsert_suppliers(conn, org_id, [rows[k] for k in sorted(rows)])
    return [SkuSupplierOut(**item.model_dump()) for item in items]


async def list_suppliers(
    conn: AsyncConnection, org_id: int, *, limit: int, cursor: str | None
) -> Page[SkuSupplierOut]:
    after = id_cursor(cursor)
    rows = await repository.list_suppliers(conn, org_id, after=after, limit=limit + 1)
    items = [
        SkuSupplierOut(
            sku=r.sku,
            supplier=r.supplier,
            cost=from_minor(r.cost_minor, r.currency),
            currency=r.currency,
            lead_time_days=r.lead_time_days,
            pack_size=r.pack_size,
        )
        for r in rows[:limit]
    ]
    last = rows[limit - 1].id if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


async def draft_purchase_orders(
    conn: AsyncConnection,
    org_id: int,
    today: date,
    *,
    location_ids: Sequence[int] | None = None,
) -> list[int]:
    """Draft (or top up) a purchase order per supplier and destination for every level whose
    available + on order is below its reorder point (at `location_ids` only, when given).
    Returns the purchase orders touched."""
    await repository.lock_restock(conn, org_id)
    wanted: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
    terms: dict[tuple[int, int], tuple[str, int]] = {}
    for p in await repository.stock_positions(conn, org_id):
        if location_ids is not None and p.location_id not in location_ids:
            continue
        rule = ReplenishmentRule(p.reorder_point, p.min_quantity, p.max_quantity)
        quantity = reorder_quantity(
            rule, available=p.available, on_order=p.on_order, pack_size=p.pack_size
        )
        if quantity <= 0:
            continue
        key = (p.supplier_location_id, p.location_id)
        wanted[key].append((p.sku_id, quantity, p.cost_minor))
        currency, lead = terms.get(key, (p.currency, 0))
        terms[key] = (currency, max(lead, p.lead_time_days))
    touched = []
    for (supplier_id, destination_id), lines in sorted(wanted.items()):
        currency, lead_time = terms[(supplier_id, destination_id)]
        po_id = await repository.draft_for(
            conn,
            org_id,
            supplier_id=supplier_id,
            destination_id=destination_id,
            currency=currency,
            expected_on=today + timedelta(days=lead_time),
        )
        await repository.add_lines(conn, org_id, po_id, lines)
        touched.append(po_id)
    return touched
