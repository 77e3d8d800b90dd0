"""Queries of locations operated by others. The sweeps read the fulfillment orders, locations,
SKUs and stock levels of other features read-only, as the order views do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.locations.models import locations
from orderly.outside.domain import OUT_AT_PROVIDER, DifferenceStatus
from orderly.outside.models import (
    fulfillment_providers,
    provider_errors,
    provider_events,
    provider_orders,
    stock_differences,
)

providers = fulfillment_providers
orders_out = provider_orders
Row = sa.Row[Any]
_OUT = [s.value for s in OUT_AT_PROVIDER]

_PROVIDER = sa.select(
    providers,
    locations.c.code.label("location_code"),
    locations.c.kind.label("location_kind"),
    locations.c.name.label("location_name"),
).join(locations, locations.c.id == providers.c.location_id)


# Providers ----------------------------------------------------------------------------------


async def provider_at(
    conn: AsyncConnection, org_id: int, location_id: int, *, lock: bool = False
) -> Row | None:
    query = _PROVIDER.where(providers.c.org_id == org_id, providers.c.location_id == location_id)
    if lock:
        query = query.with_for_update(of=providers)
    return (await conn.execute(query)).first()


async def providers_of(conn: AsyncConnection, org_id: int) -> list[Row]:
    """Every provider of the organization, by its location's code."""
    query = _PROVIDER.where(providers.c.org_id == org_id).order_by(locations.c.code)
    return list((await conn.execute(query)).all())


async def provider_by_id(conn: AsyncConnection, provider_id: int) -> Row | None:
    """A provider for a job (which knows no organization yet)."""
    return (await conn.execute(_PROVIDER.where(providers.c.id == provider_id))).first()


async def save_provider(
    conn: AsyncConnection, org_id: int, location_id: int, values: dict[str, Any]
) -> int:
    statement = pg_insert(providers).values(org_id=org_id, location_id=location_id, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=["org_id", "location_id"],
        set_={**values, "updated_at": sa.func.now()},
    ).returning(providers.c.id)
    return int((await conn.execute(upsert)).scalar_one())


async def delete_provider(conn: AsyncConnection, org_id: int, location_id: int) -> bool:
    deleted = await conn.execute(
        sa.delete(providers)
        .where(providers.c.org_id == org_id, providers.c.location_id == location_id)
        .returning(providers.c.id)
    )
    return deleted.first() is not None


async def update_provider(conn: AsyncConnection, provider_id: int, **values: Any) -> None:
    await conn.execute(
        sa.update(providers)
        .where(providers.c.id == provider_id)
        .values(**values, updated_at=sa.func.now())
    )


async def providers_due(conn: AsyncConnection, column: str, before: datetime) -> list[int]:
    """Active providers whose last poll (or stock reading) is older than `before`."""
    last = providers.c[column]
    rows = await conn.execute(
        sa.select(providers.c.id)
        .where(providers.c.active, sa.or_(last.is_(None), last < before))
        .order_by(providers.c.id)
    )
    return [int(r) for r in rows.scalars()]


async def operated_by_others(conn: AsyncConnection, org_id: int, location_id: int) -> bool:
    found = await conn.execute(
        sa.select(providers.c.id).where(
            providers.c.org_id == org_id, providers.c.location_id == location_id
        )
    )
    return found.first() is not None


# Orders sent out ----------------------------------------------------------------------------

_DUE = sa.text(
    """
    SELECT p.id AS provider_id, f.id AS fulfillment_order_id
      FROM fulfillment_providers p
      JOIN fulfillment_orders f
        ON f.org_id = p.org_id AND f.location_id = p.location_id
       AND f.status IN ('pending', 'accepted')
      LEFT JOIN provider_orders o ON o.fulfillment_order_id = f.id
     WHERE p.active
       AND (CAST(:provider_id AS bigint) IS NULL OR p.id = :provider_id)
       AND (o.id IS NULL OR (o.status = 'sending' AND o.next_attempt_at <= now()))
     ORDER BY f.id
     LIMIT :limit
    """
)


async def due_for_sending(
    conn: AsyncConnection, *, provider_id: int | None = None, limit: int = 500
) -> dict[int, list[int]]:
    """{provider id: fulfillment order ids} not yet sent, or whose send is to be tried again
    (of one provider, or of all)."""
    due: dict[int, list[int]] = {}
    for row in await conn.execute(_DUE, {"limit": limit, "provider_id": provider_id}):
        due.setdefault(row.provider_id, []).append(row.fulfillment_order_id)
    return due


async def order_of_fulfillment_order(conn: AsyncConnection, org_id: int, fo_id: int) -> int | None:
    found = await conn.execute(
        sa.text("SELECT order_id FROM fulfillment_orders WHERE org_id = :org_id AND id = :id"),
        {"org_id": org_id, "id": fo_id},
    )
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def fulfillment_status_of(conn: AsyncConnection, fo_id: int) -> str:
    found = await conn.execute(
        sa.text("SELECT status FROM fulfillment_orders WHERE id = :id"), {"id": fo_id}
    )
    return str(found.scalar_one())


async def claim_for_sending(
    conn: AsyncConnection,
    *,
    org_id: int,
    provider_id: int,
    fulfillment_order_id: int,
    order_id: int,
    reference: str,
) -> Row | None:
    """The intent: a new `sending` row, or one more attempt of a `sending` one. None when the
    order was sent (or closed) meanwhile."""
    statement = pg_insert(orders_out).values(
        org_id=org_id,
        provider_id=provider_id,
        fulfillment_order_id=fulfillment_order_id,
        order_id=order_id,
        reference=reference,
        attempts=1,
    )
    claim = statement.on_conflict_do_update(
        index_elements=["fulfillment_order_id"],
        set_={"attempts": orders_out.c.attempts + 1, "updated_at": sa.func.now()},
        where=orders_out.c.status == "sending",
    ).returning(*orders_out.c)
    found: Row | None = (await conn.execute(claim)).first()
    return found


async def order_out(
    conn: AsyncConnection,
    *,
    reference: str | None = None,
    row_id: int | None = None,
    lock: bool = False,
) -> Row | None:
    query = sa.select(orders_out)
    if reference is not None:
        query = query.where(orders_out.c.reference == reference)
    if row_id is not None:
        query = query.where(orders_out.c.id == row_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def update_order_out(conn: AsyncConnection, row_id: int, **values: Any) -> None:
    await conn.execute(
        sa.update(orders_out)
        .where(orders_out.c.id == row_id)
        .values(**values, updated_at=sa.func.now())
    )


async def open_orders_of(conn: AsyncConnection, provider_id: int) -> list[Row]:
    """Orders the provider holds and may still send news of."""
    rows = await conn.execute(
        sa.select(orders_out)
        .where(
            orders_out.c.provider_id == provider_id,
            orders_out.c.status.in_(["sent", "cancel_requested"]),
            orders_out.c.provider_ref.is_not(None),
        )
        .order_by(orders_out.c.id)
    )
    return list(rows)


async def out_for_fulfillment_order(conn: AsyncConnection, org_id: int, fo_id: int) -> bool:
    found = await conn.execute(
        sa.select(orders_out.c.id).where(
            orders_out.c.org_id == org_id,
            orders_out.c.fulfillment_order_id == fo_id,
            orders_out.c.provider_id.is_not(None),
            orders_out.c.status.in_(_OUT),
        )
    )
    return found.first() is not None


async def out_for_order(
    conn: AsyncConnection, org_id: int, order_id: int, *, lock: bool = False
) -> list[Row]:
    query = (
        sa.select(orders_out)
        .where(
            orders_out.c.org_id == org_id,
            orders_out.c.order_id == order_id,
            orders_out.c.provider_id.is_not(None),
            orders_out.c.status.in_(_OUT),
        )
        .order_by(orders_out.c.id)
    )
    if lock:
        query = query.with_for_update()
    return list(await conn.execute(query))


async def counts_of(conn: AsyncConnection, provider_id: int) -> dict[str, int]:
    rows = await conn.execute(
        sa.select(orders_out.c.status, sa.func.count())
        .where(orders_out.c.provider_id == provider_id)
        .group_by(orders_out.c.status)
    )
    pending = await conn.execute(
        sa.select(sa.func.count()).where(
            stock_differences.c.provider_id == provider_id,
            stock_differences.c.status == DifferenceStatus.PENDING.value,
        )
    )
    return {**{r[0]: int(r[1]) for r in rows}, "differences": int(pending.scalar_one())}


# News and errors ----------------------------------------------------------------------------


async def record_event(
    conn: AsyncConnection,
    *,
    org_id: int,
    provider_id: int,
    event_id: str,
    kind: str,
    reference: str | None,
    status: str,
    detail: str | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Keep one row per provider event id; False when it was kept before (or is being kept by
    another transaction, which this one waits for)."""
    statement = (
        pg_insert(provider_events)
        .values(
            org_id=org_id,
            provider_id=provider_id,
            event_id=event_id,
            kind=kind,
            reference=reference,
            status=status,
            detail=detail,
            payload=payload or {},
        )
        .on_conflict_do_nothing(index_elements=["provider_id", "event_id"])
        .returning(provider_events.c.id)
    )
    return (await conn.execute(statement)).first() is not None


async def set_event_status(
    conn: AsyncConnection, provider_id: int, event_id: str, *, status: str, detail: str | None
) -> None:
    await conn.execute(
        sa.update(provider_events)
        .where(provider_events.c.provider_id == provider_id, provider_events.c.event_id == event_id)
        .values(status=status, detail=detail)
    )


async def record_error(
    conn: AsyncConnection,
    *,
    org_id: int,
    provider_id: int,
    activity: str,
    code: str,
    detail: str,
    source: str | None = None,
    row_number: int | None = None,
) -> None:
    await conn.execute(
        sa.insert(provider_errors).values(
            org_id=org_id,
            provider_id=provider_id,
            activity=activity,
            code=code,
            detail=detail[:2000],
            source=source,
            row_number=row_number,
        )
    )


async def recent_errors(conn: AsyncConnection, provider_id: int, limit: int = 20) -> list[Row]:
    rows = await conn.execute(
        sa.select(provider_errors)
        .where(provider_errors.c.provider_id == provider_id)
        .order_by(provider_errors.c.id.desc())
        .limit(limit)
    )
    return list(rows)
