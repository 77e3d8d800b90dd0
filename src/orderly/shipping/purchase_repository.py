"""Queries on label purchases: the intent, each attempt at the carrier, and the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import row_dict
from orderly.shipping.models import label_purchases

Row = dict[str, Any]


async def next_purchase_id(conn: AsyncConnection) -> int:
    """The id of a purchase about to begin, which its reference carries."""
    return int(
        (await conn.execute(sa.select(sa.func.nextval("label_purchases_id_seq")))).scalar_one()
    )


async def insert_purchase(
    conn: AsyncConnection,
    purchase_id: int,
    org_id: int,
    *,
    reference: str,
    order_id: int,
    fulfillment_order_id: int | None,
    actor: str,
) -> None:
    """A `buying` purchase."""
    await conn.execute(
        sa.insert(label_purchases).values(
            id=purchase_id,
            org_id=org_id,
            reference=reference,
            order_id=order_id,
            fulfillment_order_id=fulfillment_order_id,
            created_by=actor,
        )
    )


async def note_attempt(
    conn: AsyncConnection,
    purchase_id: int,
    *,
    carrier: str | None,
    service: str | None,
    account_id: int | None,
    strays: Sequence[str],
) -> None:
    """The carrier and service chosen (one more attempt), or labels that turned up unused."""
    values: dict[str, Any] = {"updated_at": sa.func.now()}
    if carrier is not None:
        values.update(
            carrier=carrier,
            service=service,
            carrier_account_id=account_id,
            attempts=label_purchases.c.attempts + 1,
        )
    if strays:
        values["stray_tracking_numbers"] = sa.func.array_cat(
            label_purchases.c.stray_tracking_numbers, sa.cast(list(strays), sa.ARRAY(sa.Text))
        )
    await conn.execute(
        sa.update(label_purchases).where(label_purchases.c.id == purchase_id).values(**values)
    )


async def finish_purchase(
    conn: AsyncConnection,
    purchase_id: int,
    *,
    status: str,
    tracking_number: str | None,
    problem: str | None,
    strays: Sequence[str] = (),
    chosen: tuple[str, str, int] | None = None,
) -> None:
    """The outcome; `chosen` (carrier, service, account) when the label is the purchase's."""
    values: dict[str, Any] = {
        "status": status,
        "tracking_number": tracking_number,
        "problem": problem,
        "updated_at": sa.func.now(),
    }
    if chosen is not None:
        values.update(carrier=chosen[0], service=chosen[1], carrier_account_id=chosen[2])
    if strays:
        values["stray_tracking_numbers"] = sa.func.array_cat(
            label_purchases.c.stray_tracking_numbers, sa.cast(list(strays), sa.ARRAY(sa.Text))
        )
    await conn.execute(
        sa.update(label_purchases).where(label_purchases.c.id == purchase_id).values(**values)
    )


async def still_buying(
    conn: AsyncConnection, org_id: int, purchase_ids: Sequence[int], *, within: timedelta
) -> set[int]:
    """Those of the purchases that are `buying` and began less than `within` ago."""
    if not purchase_ids:
        return set()
    rows = await conn.execute(
        sa.select(label_purchases.c.id).where(
            label_purchases.c.org_id == org_id,
            label_purchases.c.id.in_(list(purchase_ids)),
            label_purchases.c.status == "buying",
            label_purchases.c.created_at > sa.func.now() - within,
        )
    )
    return {int(r.id) for r in rows}


async def abandon(conn: AsyncConnection, org_id: int, purchase_ids: Sequence[int]) -> None:
    """Purchases left `buying` (their process died mid-call) need a person: the carrier may
    have made a label with their reference."""
    await conn.execute(
        sa.update(label_purchases)
        .where(
            label_purchases.c.org_id == org_id,
            label_purchases.c.id.in_(list(purchase_ids)),
            label_purchases.c.status == "buying",
        )
        .values(
            status="needs_attention",
            problem="left unfinished while the carrier was being called: check the carrier "
            "account for a label with this reference",
            updated_at=sa.func.now(),
        )
    )


async def list_purchases(
    conn: AsyncConnection,
    org_id: int,
    *,
    statuses: Sequence[str] | None,
    order_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[Row]:
    query = (
        sa.select(label_purchases)
        .where(label_purchases.c.org_id == org_id)
        .order_by(label_purchases.c.id.desc())
        .limit(limit)
    )
    if statuses:
        query = query.where(label_purchases.c.status.in_(list(statuses)))
    if order_id is not None:
        query = query.where(label_purchases.c.order_id == order_id)
    if after_id is not None:
        query = query.where(label_purchases.c.id < after_id)
    return [row_dict(r) for r in await conn.execute(query)]


async def get_purchase(
    conn: AsyncConnection, org_id: int, purchase_id: int, *, for_update: bool = False
) -> Row | None:
    query = sa.select(label_purchases).where(
        label_purchases.c.org_id == org_id, label_purchases.c.id == purchase_id
    )
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return row_dict(row) if row else None
