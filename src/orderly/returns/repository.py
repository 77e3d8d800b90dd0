"""Return queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog.models import skus
from orderly.locations.models import locations
from orderly.orders.models import orders
from orderly.returns.models import return_lines, return_lookup_failures, returns

DEAD = ("rejected", "cancelled")


def json_agg_ordered(value: Any, order: Any) -> Any:
    return sa.func.json_agg(aggregate_order_by(value, order))


async def next_return_number(conn: AsyncConnection, org_id: int) -> str:
    """RMA-1001, RMA-1002, ... per organization, from a sequence made on first use (the
    advisory lock keeps two first returns from creating it at once)."""
    await conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 13))"),
        {"key": f"return_number:{org_id}"},
    )
    await conn.execute(
        sa.text(f"CREATE SEQUENCE IF NOT EXISTS return_number_{int(org_id)} START 1001")
    )
    n = (await conn.execute(sa.text(f"SELECT nextval('return_number_{int(org_id)}')"))).scalar_one()
    return f"RMA-{n}"


async def claimed_units(conn: AsyncConnection, org_id: int, order_id: int) -> dict[int, int]:
    """Units per order line that live returns of the order already claim."""
    rows = await conn.execute(
        sa.select(return_lines.c.line_no, sa.func.sum(return_lines.c.quantity))
        .join(returns, returns.c.id == return_lines.c.return_id)
        .where(
            returns.c.org_id == org_id,
            returns.c.order_id == order_id,
            returns.c.status.not_in(DEAD),
        )
        .group_by(return_lines.c.line_no)
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def shipping_already_refunded(conn: AsyncConnection, org_id: int, order_id: int) -> bool:
    found = await conn.execute(
        sa.select(returns.c.id).where(
            returns.c.org_id == org_id,
            returns.c.order_id == order_id,
            returns.c.status.not_in(DEAD),
            returns.c.shipping_refund_minor > 0,
        )
    )
    return found.first() is not None


async def insert_return(
    conn: AsyncConnection, values: dict[str, Any], lines: Sequence[dict[str, Any]]
) -> int:
    return_id: int = (
        await conn.execute(sa.insert(returns).values(**values).returning(returns.c.id))
    ).scalar_one()
    await conn.execute(
        sa.insert(return_lines),
        [{**line, "org_id": values["org_id"], "return_id": return_id} for line in lines],
    )
    return return_id


async def update_return(conn: AsyncConnection, org_id: int, return_id: int, **values: Any) -> None:
    await conn.execute(
        sa.update(returns)
        .where(returns.c.org_id == org_id, returns.c.id == return_id)
        .values(**values, updated_at=sa.func.now())
    )


async def add_outcomes(
    conn: AsyncConnection, org_id: int, return_id: int, outcomes: dict[int, tuple[int, int, int]]
) -> None:
    """Add (restocked, damaged, disposed) units per line number."""
    for line_no, (restocked, damaged, disposed) in sorted(outcomes.items()):
        await conn.execute(
            sa.update(return_lines)
            .where(
                return_lines.c.org_id == org_id,
                return_lines.c.return_id == return_id,
                return_lines.c.line_no == line_no,
            )
            .values(
                restocked=return_lines.c.restocked + restocked,
                damaged=return_lines.c.damaged + damaged,
                disposed=return_lines.c.disposed + disposed,
            )
        )


async def release_label_claim(
    conn: AsyncConnection, org_id: int, return_id: int, purchase_id: int, *, problem: str | None
) -> None:
    """End the return's claim by this label purchase (if it still holds it), with the reason
    no label was bought."""
    await conn.execute(
        sa.update(returns)
        .where(
            returns.c.org_id == org_id,
            returns.c.id == return_id,
            returns.c.label_purchase_id == purchase_id,
        )
        .values(label_purchase_id=None, label_problem=problem, updated_at=sa.func.now())
    )


def _select() -> sa.Select[Any]:
    lines = (
        sa.select(
            sa.func.coalesce(
                json_agg_ordered(
                    sa.func.json_build_object(
                        "line_no", return_lines.c.line_no,
                        "sku", skus.c.code,
                        "sku_id", return_lines.c.sku_id,
                        "quantity", return_lines.c.quantity,
                        "reason", return_lines.c.reason,
                        "unit_amounts", return_lines.c.unit_amounts,
                        "restocking_fee_percent",
                sa.cast(return_lines.c.restocking_fee_percent, sa.Text),
                        "restocked", return_lines.c.restocked,
                        "damaged", return_lines.c.damaged,
                        "disposed", return_lines.c.disposed,
                    ),
                    return_lines.c.line_no,
                ),
                sa.text("'[]'"),
            )
        )
        .select_from(return_lines.join(skus, skus.c.id == return_lines.c.sku_id))
        .where(return_lines.c.return_id == returns.c.id)
        .scalar_subquery()
    )  # fmt: skip
    return (
        sa.select(
            returns,
            orders.c.number.label("order_number"),
            locations.c.code.label("location"),
            lines.label("lines"),
        )
        .join(orders, orders.c.id == returns.c.order_id)
        .join(locations, locations.c.id == returns.c.location_id)
    )


async def get_return(
    conn: AsyncConnection, org_id: int, return_id: int, *, for_update: bool = False
) -> dict[str, Any] | None:
    if for_update:
        locked = await conn.execute(
            sa.select(returns.c.id)
            .where(returns.c.org_id == org_id, returns.c.id == return_id)
            .with_for_update()
        )
        if locked.first() is None:
            return None
    row = (
        await conn.execute(_select().where(returns.c.org_id == org_id, returns.c.id == return_id))
    ).first()
    return dict(row._mapping) if row else None


async def list_returns(
    conn: AsyncConnection,
    org_id: int,
    *,
    order_id: int | None,
    status: str | None,
    limit: int,
    after_id: int | None,
    location_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    query = _select().where(returns.c.org_id == org_id).order_by(returns.c.id.desc()).limit(limit)
    if location_ids is not None:
        query = query.where(returns.c.location_id.in_(location_ids))
    if after_id is not None:
        query = query.where(returns.c.id < after_id)
    if order_id is not None:
        query = query.where(returns.c.order_id == order_id)
    if status is not None:
        query = query.where(returns.c.status == status)
    return [dict(r._mapping) for r in await conn.execute(query)]


# Self-service look-ups: a window of 15 minutes, refused after the limit of failures.
LOOKUP_WINDOW = timedelta(minutes=15)
# The row of a client's failures over all order numbers.
ANY_NUMBER = ""


async def lookup_failures(
    conn: AsyncConnection, org_id: int, *, client: str, number: str
) -> tuple[int, int]:
    """The client's failures in the window: for this order number, and over all numbers."""
    f = return_lookup_failures.c
    found = await conn.execute(
        sa.select(f.order_number, f.failures).where(
            f.org_id == org_id,
            f.client == client,
            f.order_number.in_([number, ANY_NUMBER]),
            f.window_started_at > sa.func.now() - sa.literal(LOOKUP_WINDOW, sa.Interval),
        )
    )
    counts = {row.order_number: int(row.failures) for row in found}
    return counts.get(number, 0), counts.get(ANY_NUMBER, 0)


async def record_lookup_failure(
    conn: AsyncConnection, org_id: int, *, client: str, number: str
) -> None:
    """Count one failure for the client, on this number and over all numbers."""
    await conn.execute(
        sa.text(
            """
            INSERT INTO return_lookup_failures
                   (org_id, client, order_number, failures, window_started_at)
            SELECT :org_id, :client, n, 1, now() FROM unnest(CAST(:numbers AS text[])) AS n
            ORDER BY n
            ON CONFLICT (org_id, client, order_number) DO UPDATE
               SET failures = CASE WHEN return_lookup_failures.window_started_at
                                        > now() - CAST(:window AS interval)
                                   THEN return_lookup_failures.failures + 1 ELSE 1 END,
                   window_started_at = CASE WHEN return_lookup_failures.window_started_at
                                        > now() - CAST(:window AS interval)
                                   THEN return_lookup_failures.window_started_at ELSE now() END
            """
        ),
        {
            "org_id": org_id,
            "client": client,
            "numbers": sorted({number, ANY_NUMBER}),
            "window": LOOKUP_WINDOW,
        },
    )


async def return_by_number(
    conn: AsyncConnection, org_id: int, number: str
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(returns.c.id, returns.c.order_id, returns.c.shipment_id).where(
                returns.c.org_id == org_id, returns.c.number == number
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def return_by_shipment(
    conn: AsyncConnection, org_id: int, shipment_id: int
) -> dict[str, Any] | None:
    """The return whose label is this shipment, locked."""
    row = (
        await conn.execute(
            sa.select(returns.c.id, returns.c.order_id, returns.c.number, returns.c.status)
            .where(returns.c.org_id == org_id, returns.c.shipment_id == shipment_id)
            .with_for_update()
        )
    ).first()
    return dict(row._mapping) if row else None
