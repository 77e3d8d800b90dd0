"""Label purchases for a person to review: those a lost answer left in doubt
(`needs_attention`), and the record of every other (docs/shipping.md, "Label purchases")."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.shipping import purchase_repository as repo
from orderly.shipping.errors import LabelPurchaseNotFound, LabelPurchaseNotOpen
from orderly.shipping.schemas import LabelPurchaseOut, LabelPurchaseStatus


async def list_label_purchases(
    conn: AsyncConnection,
    org_id: int,
    *,
    status: LabelPurchaseStatus | None,
    order_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[LabelPurchaseOut]:
    """Newest first."""
    rows = await repo.list_purchases(
        conn,
        org_id,
        statuses=[status] if status else None,
        order_id=order_id,
        after_id=id_cursor(cursor),
        limit=limit + 1,
    )
    items = [purchase_out(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


async def resolve_label_purchase(
    conn: AsyncConnection, org_id: int, purchase_id: int, *, note: str, actor: str
) -> LabelPurchaseOut:
    """A person has checked the carrier account (and voided or kept what was there)."""
    row = await repo.get_purchase(conn, org_id, purchase_id, for_update=True)
    if row is None:
        raise LabelPurchaseNotFound(f"no label purchase {purchase_id}")
    if row["status"] != "needs_attention":
        raise LabelPurchaseNotOpen(
            f"a label purchase that is {row['status']} has nothing to resolve"
        )
    await repo.finish_purchase(
        conn,
        purchase_id,
        status="resolved",
        tracking_number=row["tracking_number"],
        problem=f"{row['problem']}\nResolved by {actor}: {note}",
    )
    found = await repo.get_purchase(conn, org_id, purchase_id)
    assert found is not None
    return purchase_out(found)


def purchase_out(row: dict[str, Any]) -> LabelPurchaseOut:
    return LabelPurchaseOut.model_validate(row)
