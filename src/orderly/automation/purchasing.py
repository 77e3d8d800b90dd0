"""Purchase orders: read, submit to the supplier, and receive at the destination.

Receiving books the units into the destination's stock as receipts (ledger kind `received`)
through the inventory service, then sources the backorders that were waiting for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.automation import repository
from orderly.automation.domain import (
    PurchaseOrderStatus,
    ensure_purchase_order_transition,
    status_after_receipt,
)
from orderly.automation.errors import InvalidReceipt, PurchaseOrderNotFound
from orderly.automation.schemas import PurchaseOrderLineOut, PurchaseOrderOut, ReceiptLineIn
from orderly.inventory import service as inventory
from orderly.inventory.domain import AdjustmentReason
from orderly.kit.money import from_minor
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.order_flows.backorders import allocate_backorders
from orderly.tenancy.domain import Principal


def purchase_order_number(po_id: int) -> str:
    return f"PO-{po_id}"


def purchase_order_out(row: dict[str, Any]) -> PurchaseOrderOut:
    return PurchaseOrderOut(
        id=row["id"],
        number=purchase_order_number(row["id"]),
        supplier=row["supplier"],
        destination=row["destination"],
        status=row["status"],
        currency=row["currency"],
        expected_on=row["expected_on"],
        submitted_at=row["submitted_at"],
        created_at=row["created_at"],
        lines=[
            PurchaseOrderLineOut(
                sku=line["sku"],
                quantity_ordered=line["quantity_ordered"],
                quantity_received=line["quantity_received"],
                unit_cost=from_minor(line["unit_cost_minor"], row["currency"]),
            )
            for line in row["lines"]
        ],
    )


async def list_purchase_orders(
    conn: AsyncConnection,
    org_id: int,
    *,
    status: str | None,
    supplier: str | None,
    limit: int,
    cursor: str | None,
    destination_ids: Sequence[int] | None = None,
) -> Page[PurchaseOrderOut]:
    """Oldest first; with `destination_ids`, only those received at these locations."""
    after = id_cursor(cursor)
    rows = await repository.purchase_orders_rows(
        conn,
        org_id,
        status=status,
        supplier=supplier,
        after=after,
        limit=limit + 1,
        destination_ids=destination_ids,
    )
    items = [purchase_order_out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def purchase_orders_by_id(
    conn: AsyncConnection, org_id: int, ids: Sequence[int]
) -> list[PurchaseOrderOut]:
    rows = await repository.purchase_orders_rows(conn, org_id, ids=ids)
    return [purchase_order_out(r) for r in rows]


async def get_purchase_order(conn: AsyncConnection, org_id: int, po_id: int) -> PurchaseOrderOut:
    return purchase_order_out(await _row(conn, org_id, po_id))


async def submit_purchase_order(
    conn: AsyncConnection, principal: Principal, po_id: int
) -> PurchaseOrderOut:
    row = await _row(conn, principal.org_id, po_id, lock=True)
    ensure_purchase_order_transition(
        PurchaseOrderStatus(row["status"]), PurchaseOrderStatus.SUBMITTED
    )
    await repository.update_purchase_order(
        conn,
        principal.org_id,
        po_id,
        status=PurchaseOrderStatus.SUBMITTED.value,
        submitted_at=sa.func.now(),
    )
    return await get_purchase_order(conn, principal.org_id, po_id)


async def receive_purchase_order(
    conn: AsyncConnection, principal: Principal, po_id: int, lines: Sequence[ReceiptLineIn]
) -> PurchaseOrderOut:
    """Book received units at the destination, then source the backorders waiting for them."""
    org_id = principal.org_id
    row = await _row(conn, org_id, po_id, lock=True)
    current = PurchaseOrderStatus(row["status"])
    if current is PurchaseOrderStatus.DRAFT:
        ensure_purchase_order_transition(current, PurchaseOrderStatus.RECEIVED)
    by_sku = {line["sku"]: line for line in row["lines"]}
    received: dict[int, int] = {}
    for n, item in enumerate(lines):
        line = by_sku.get(item.sku)
        if line is None:
            raise InvalidReceipt(
                f"{purchase_order_number(po_id)} has no line for {item.sku!r}",
                field=f"lines.{n}.sku",
            )
        sku_id = line["sku_id"]
        received[sku_id] = received.get(sku_id, 0) + item.quantity
        if line["quantity_received"] + received[sku_id] > line["quantity_ordered"]:
            open_units = line["quantity_ordered"] - line["quantity_received"]
            raise InvalidReceipt(
                f"{item.sku}: only {open_units} unit(s) are still to be received",
                field=f"lines.{n}.quantity",
            )
    ordered = sum(line["quantity_ordered"] for line in row["lines"])
    already = sum(line["quantity_received"] for line in row["lines"])
    target = status_after_receipt(ordered=ordered, received=already + sum(received.values()))
    ensure_purchase_order_transition(current, target)
    await repository.receive_lines(conn, org_id, po_id, received)
    await repository.update_purchase_order(conn, org_id, po_id, status=target.value)
    codes = {line["sku_id"]: line["sku"] for line in row["lines"]}
    await inventory.adjust_stock(
        conn,
        org_id,
        principal.actor,
        [
            inventory.Adjustment(
                sku=codes[sku_id],
                location=row["destination"],
                reason=AdjustmentReason.RECEIVED,
                delta=quantity,
                reference=purchase_order_number(po_id),
            )
            for sku_id, quantity in sorted(received.items())
        ],
    )
    await allocate_backorders(conn, org_id, sorted(received), principal.actor)
    return await get_purchase_order(conn, org_id, po_id)


async def _row(
    conn: AsyncConnection, org_id: int, po_id: int, *, lock: bool = False
) -> dict[str, Any]:
    if lock and not await repository.lock_purchase_order(conn, org_id, po_id):
        raise PurchaseOrderNotFound(f"no purchase order {po_id}")
    rows = await repository.purchase_orders_rows(conn, org_id, ids=[po_id])
    if not rows:
        raise PurchaseOrderNotFound(f"no purchase order {po_id}")
    return rows[0]
