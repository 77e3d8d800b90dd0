"""Queries on carrier accounts, tracking webhooks, shipments and tracking events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import row_dict
from orderly.shipping.domain import OPEN_STATUSES, ShipmentStatus
from orderly.shipping.models import (
    carrier_accounts,
    shipments,
    tracking_events,
    tracking_webhooks,
)

Row = dict[str, Any]

# Everything but the label bytes, which only the download endpoints read.
SHIPMENT_COLUMNS = [c for c in shipments.c if c.name not in ("label_pdf", "label_zpl")]


async def insert_account(conn: AsyncConnection, values: Row) -> Row:
    result = await conn.execute(
        insert(carrier_accounts)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["org_id", "code"])
        .returning(*carrier_accounts.c)
    )
    row = result.first()
    return row_dict(row) if row else {}


async def account_by_code(conn: AsyncConnection, org_id: int, code: str) -> Row | None:
    row = (
        await conn.execute(
            sa.select(carrier_accounts).where(
                carrier_accounts.c.org_id == org_id, carrier_accounts.c.code == code
            )
        )
    ).first()
    return row_dict(row) if row else None


async def account_by_id(conn: AsyncConnection, org_id: int, account_id: int) -> Row | None:
    row = (
        await conn.execute(
            sa.select(carrier_accounts).where(
                carrier_accounts.c.org_id == org_id, carrier_accounts.c.id == account_id
            )
        )
    ).first()
    return row_dict(row) if row else None


async def list_accounts(
    conn: AsyncConnection,
    org_id: int,
    *,
    active_only: bool = False,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[Row]:
    query = (
        sa.select(carrier_accounts)
        .where(carrier_accounts.c.org_id == org_id)
        .order_by(carrier_accounts.c.id)
    )
    if active_only:
        query = query.where(carrier_accounts.c.active)
    if after_id is not None:
        query = query.where(carrier_accounts.c.id > after_id)
    if limit is not None:
        query = query.limit(limit)
    return [row_dict(r) for r in await conn.execute(query)]


async def store_rate_card(
    conn: AsyncConnection, org_id: int, account_id: int, card: dict[str, Any]
) -> Row:
    result = await conn.execute(
        sa.update(carrier_accounts)
        .where(carrier_accounts.c.org_id == org_id, carrier_accounts.c.id == account_id)
        .values(rate_card=card, rate_card_loaded_at=sa.func.now(), updated_at=sa.func.now())
        .returning(*carrier_accounts.c)
    )
    return row_dict(result.one())


async def webhook_for_org(conn: AsyncConnection, org_id: int) -> Row | None:
    row = (
        await conn.execute(sa.select(tracking_webhooks).where(tracking_webhooks.c.org_id == org_id))
    ).first()
    return row_dict(row) if row else None


async def insert_webhook(
    conn: AsyncConnection, org_id: int, *, account_token: str, secret_encrypted: bytes
) -> None:
    await conn.execute(
        insert(tracking_webhooks)
        .values(org_id=org_id, account_token=account_token, secret_encrypted=secret_encrypted)
        .on_conflict_do_nothing(index_elements=["org_id"])
    )


async def webhook_by_token(conn: AsyncConnection, account_token: str) -> Row | None:
    row = (
        await conn.execute(
            sa.select(tracking_webhooks).where(tracking_webhooks.c.account_token == account_token)
        )
    ).first()
    return row_dict(row) if row else None


async def tracking_number_taken(conn: AsyncConnection, org_id: int, number: str) -> bool:
    query = sa.select(sa.literal(1)).where(
        shipments.c.org_id == org_id, shipments.c.tracking_number == number
    )
    return (await conn.execute(query)).first() is not None


async def insert_shipment(conn: AsyncConnection, values: Row) -> Row:
    result = await conn.execute(sa.insert(shipments).values(**values).returning(*SHIPMENT_COLUMNS))
    return row_dict(result.one())


async def insert_shipment_sent_elsewhere(conn: AsyncConnection, values: Row) -> int:
    """The shipment with this tracking number, inserted unless the organization has it."""
    inserted = await conn.execute(
        insert(shipments)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["org_id", "tracking_number"])
        .returning(shipments.c.id)
    )
    found = inserted.scalar_one_or_none()
    if found is None:
        found = (
            await conn.execute(
                sa.select(shipments.c.id).where(
                    shipments.c.org_id == values["org_id"],
                    shipments.c.tracking_number == values["tracking_number"],
                )
            )
        ).scalar_one()
    return int(found)


async def get_shipment(
    conn: AsyncConnection, org_id: int, shipment_id: int, *, for_update: bool = False
) -> Row | None:
    query = sa.select(*SHIPMENT_COLUMNS).where(
        shipments.c.org_id == org_id, shipments.c.id == shipment_id
    )
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return row_dict(row) if row else None


async def label(conn: AsyncConnection, org_id: int, shipment_id: int, column: str) -> Any:
    query = sa.select(shipments.c[column]).where(
        shipments.c.org_id == org_id, shipments.c.id == shipment_id
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def list_shipments(
    conn: AsyncConnection,
    org_id: int,
    *,
    order_id: int | None = None,
    status: str | None = None,
    tracking_number: str | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[Row]:
    query = sa.select(*SHIPMENT_COLUMNS).where(shipments.c.org_id == org_id)
    if order_id is not None:
        query = query.where(shipments.c.order_id == order_id)
    if status is not None:
        query = query.where(shipments.c.status == status)
    if tracking_number is not None:
        query = query.where(shipments.c.tracking_number == tracking_number)
    if after_id is not None:
        query = query.where(shipments.c.id > after_id)
    query = query.order_by(shipments.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [row_dict(r) for r in await conn.execute(query)]


async def shipments_by_tracking(
    conn: AsyncConnection, org_id: int, numbers: Sequence[str]
) -> list[Row]:
    """Lock the shipments in id order, so concurrent tracking batches cannot deadlock."""
    query = (
        sa.select(*SHIPMENT_COLUMNS)
        .where(shipments.c.org_id == org_id, shipments.c.tracking_number.in_(list(numbers)))
        .order_by(shipments.c.id)
        .with_for_update()
    )
    return [row_dict(r) for r in await conn.execute(query)]


async def set_status(
    conn: AsyncConnection,
    org_id: int,
    shipment_id: int,
    status: ShipmentStatus,
    *,
    delivered_at: datetime | None = None,
    cancelled_by: str | None = None,
) -> None:
    values: Row = {"status": status.value, "updated_at": sa.func.now()}
    if delivered_at is not None:
        values["delivered_at"] = delivered_at
    if cancelled_by is not None:
        values["cancelled_by"] = cancelled_by
    await conn.execute(
        sa.update(shipments)
        .where(shipments.c.org_id == org_id, shipments.c.id == shipment_id)
        .values(**values)
    )


async def insert_event(conn: AsyncConnection, values: Row) -> bool:
    """Store a tracking event unless the same one (shipment, code, time) is already stored."""
    result = await conn.execute(
        insert(tracking_events)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["shipment_id", "code", "occurred_at"])
        .returning(tracking_events.c.id)
    )
    return result.first() is not None


async def last_applied_at(conn: AsyncConnection, org_id: int, shipment_id: int) -> datetime | None:
    query = sa.select(sa.func.max(tracking_events.c.occurred_at)).where(
        tracking_events.c.org_id == org_id,
        tracking_events.c.shipment_id == shipment_id,
        tracking_events.c.applied,
    )
    value: datetime | None = (await conn.execute(query)).scalar_one_or_none()
    return value


async def events_of(conn: AsyncConnection, org_id: int, shipment_id: int) -> list[Row]:
    query = (
        sa.select(tracking_events)
        .where(tracking_events.c.org_id == org_id, tracking_events.c.shipment_id == shipment_id)
        .order_by(tracking_events.c.occurred_at, tracking_events.c.id)
    )
    return [row_dict(r) for r in await conn.execute(query)]


async def public_shipment(conn: AsyncConnection, tracking_number: str) -> Row | None:
    """The newest shipment with this number, in any organization (the public tracking page)."""
    query = (
        sa.select(
            *SHIPMENT_COLUMNS,
            sa.func.coalesce(carrier_accounts.c.name, shipments.c.carrier).label("carrier_name"),
        )
        .outerjoin(carrier_accounts, carrier_accounts.c.id == shipments.c.carrier_account_id)
        .where(shipments.c.tracking_number == tracking_number)
        .order_by(shipments.c.id.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return dict(row._mapping) if row else None


async def orgs_with_open_shipments(conn: AsyncConnection) -> list[int]:
    query = (
        sa.select(shipments.c.org_id)
        .where(shipments.c.status.in_([s.value for s in OPEN_STATUSES]))
        .distinct()
    )
    return [int(r) for r in (await conn.execute(query)).scalars()]


async def open_shipments(conn: AsyncConnection, org_id: int, carrier_codes: list[str]) -> list[Row]:
    query = (
        sa.select(shipments.c.id, shipments.c.carrier, shipments.c.tracking_number)
        .where(
            shipments.c.org_id == org_id,
            shipments.c.carrier.in_(carrier_codes),
            shipments.c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(shipments.c.id)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]
