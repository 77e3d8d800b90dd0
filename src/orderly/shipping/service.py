"""Shipping use cases: quote, void labels, read shipments, record tracking.

This module is what other features call. Labels are bought between two transactions by
`label_purchases` (fulfillment through its label port, returns directly); fulfillment follows
the status changes that ``record_tracking`` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.kit.vault import Vault
from orderly.shipping import label_purchases
from orderly.shipping import repository as repo
from orderly.shipping.accounts import (
    create_carrier_account,
    install_demo_carriers,
    list_carrier_accounts,
    load_rate_card,
    org_carriers,
)
from orderly.shipping.domain import (
    RATE_POLICIES,
    Parcel,
    RatePolicy,
    RateQuote,
    ShipmentRequest,
    ShipmentStatus,
    ShipmentStatusChange,
    TrackingUpdate,
    can_move,
    pick_service,
    tracking_move,
)
from orderly.shipping.errors import (
    NoServiceAvailable,
    ShipmentInvalid,
    ShipmentNotCancellable,
    ShipmentNotFound,
)
from orderly.shipping.presenters import shipment_view
from orderly.shipping.schemas import ShipmentView

__all__ = [
    "Parcel",
    "RateQuote",
    "ShipmentRequest",
    "ShipmentStatusChange",
    "ShipmentView",
    "TrackingUpdate",
    "choose_service",
    "create_carrier_account",
    "install_demo_carriers",
    "is_voidable",
    "list_carrier_accounts",
    "load_rate_card",
    "quote",
    "record_tracking",
    "shipment",
    "shipments_for_order",
    "void_shipment",
]


async def quote(
    database: Database, org_id: int, request: ShipmentRequest, *, vault: Vault | None = None
) -> list[RateQuote]:
    """Every service of every active carrier of the organization that can take the shipment.
    The carriers are asked outside any transaction; one that fails is left out while another
    answers."""
    label_purchases.check_request(org_id, request)
    async with database.reading() as conn:
        carriers = [
            carrier for _, carrier in (await org_carriers(conn, org_id, vault=vault)).values()
        ]
    return await label_purchases.quote_all(carriers, request)


async def choose_service(
    quotes: list[RateQuote], *, policy: RatePolicy, promise_date: date | None
) -> RateQuote:
    """Cheapest quote arriving by the promise date (else the fastest), or the fastest."""
    if policy not in RATE_POLICIES:
        raise ShipmentInvalid(f"policy must be one of {', '.join(RATE_POLICIES)}", field="policy")
    chosen = pick_service(quotes, policy=policy, promise_date=promise_date)
    if chosen is None:
        raise NoServiceAvailable("no configured carrier can take this shipment")
    return chosen


async def void_shipment(
    database: Database, org_id: int, shipment_id: int, actor: str, *, vault: Vault | None = None
) -> ShipmentView:
    """Void the label of a shipment the carrier has not picked up yet: the carrier is asked
    outside any transaction, then the shipment is marked cancelled in a short one."""
    async with database.reading() as conn:
        row = await _shipment_row(conn, org_id, shipment_id)
        _ensure_cancellable(row)
        carriers = await org_carriers(conn, org_id, vault=vault)
    if row["carrier"] in carriers:
        await carriers[row["carrier"]][1].cancel_label(row["tracking_number"])
    async with database.transaction() as tx:
        conn = tx.connection
        _ensure_cancellable(await _shipment_row(conn, org_id, shipment_id, for_update=True))
        await repo.set_status(
            conn, org_id, shipment_id, ShipmentStatus.CANCELLED, cancelled_by=actor
        )
        return await shipment(conn, org_id, shipment_id)


async def is_voidable(conn: AsyncConnection, org_id: int, shipment_id: int) -> bool:
    """Whether the shipment's label may still be voided: ours, and not picked up yet."""
    try:
        _ensure_cancellable(await _shipment_row(conn, org_id, shipment_id))
    except ShipmentNotCancellable:
        return False
    return True


def _ensure_cancellable(row: dict[str, Any]) -> None:
    status = ShipmentStatus(row["status"])
    if not can_move(status, ShipmentStatus.CANCELLED):
        raise ShipmentNotCancellable(f"a shipment that is {status.value} cannot be cancelled")
    if row["carrier_account_id"] is None:
        raise ShipmentNotCancellable(
            "this parcel was sent by the provider that operates the location: ask it"
        )


async def shipment(conn: AsyncConnection, org_id: int, shipment_id: int) -> ShipmentView:
    row = await _shipment_row(conn, org_id, shipment_id)
    return shipment_view(row, await repo.events_of(conn, org_id, shipment_id))


async def _shipment_row(
    conn: AsyncConnection, org_id: int, shipment_id: int, *, for_update: bool = False
) -> dict[str, Any]:
    row = await repo.get_shipment(conn, org_id, shipment_id, for_update=for_update)
    if row is None:
        raise ShipmentNotFound(f"no shipment {shipment_id}")
    return row


async def shipments_for_order(
    conn: AsyncConnection, org_id: int, order_id: int
) -> list[ShipmentView]:
    return [shipment_view(r) for r in await repo.list_shipments(conn, org_id, order_id=order_id)]


async def list_shipments(
    conn: AsyncConnection,
    org_id: int,
    *,
    order_id: int | None,
    status: ShipmentStatus | None,
    tracking_number: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ShipmentView]:
    after = id_cursor(cursor)
    rows = await repo.list_shipments(
        conn,
        org_id,
        order_id=order_id,
        status=status.value if status else None,
        tracking_number=tracking_number,
        after_id=after,
        limit=limit + 1,
    )
    items = [shipment_view(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


async def label_pdf(conn: AsyncConnection, org_id: int, shipment_id: int) -> bytes:
    return bytes(await _label(conn, org_id, shipment_id, "label_pdf"))


async def label_zpl(conn: AsyncConnection, org_id: int, shipment_id: int) -> str:
    return str(await _label(conn, org_id, shipment_id, "label_zpl"))


async def _label(conn: AsyncConnection, org_id: int, shipment_id: int, column: str) -> Any:
    value = await repo.label(conn, org_id, shipment_id, column)
    if value is None:
        raise ShipmentNotFound(f"no shipment {shipment_id}")
    return value


async def record_tracking(
    conn: AsyncConnection, org_id: int, tracking_number: str, updates: list[TrackingUpdate]
) -> list[ShipmentStatusChange]:
    """Store a shipment's tracking updates (each once) and move its status where they say.

    Updates that would move it backwards are stored but not applied. Returns the moves made,
    in order, for the caller to carry on to fulfillment and the order.
    """
    rows = await repo.shipments_by_tracking(conn, org_id, [tracking_number])
    if not rows:
        raise ShipmentNotFound(f"no shipment with tracking number {tracking_number!r}")
    row = rows[0]
    status = ShipmentStatus(row["status"])
    last_applied = await repo.last_applied_at(conn, org_id, row["id"])
    changes: list[ShipmentStatusChange] = []
    delivered_at: datetime | None = None
    for update in sorted(updates, key=lambda u: u.occurred_at):
        new = tracking_move(status, update, last_applied_at=last_applied)
        stored = await repo.insert_event(
            conn,
            {
                "org_id": org_id,
                "shipment_id": row["id"],
                "code": update.code.value,
                "occurred_at": update.occurred_at,
                "description": update.description,
                "location": update.location,
                "applied": new is not None,
            },
        )
        if not stored or new is None:
            continue
        changes.append(
            ShipmentStatusChange(
                shipment_id=row["id"],
                order_id=row["order_id"],
                fulfillment_order_id=row["fulfillment_order_id"],
                old=status,
                new=new,
                occurred_at=update.occurred_at,
                tracking_number=tracking_number,
            )
        )
        status, last_applied = new, update.occurred_at
        if new is ShipmentStatus.DELIVERED:
            delivered_at = update.occurred_at
    if changes:
        await repo.set_status(conn, org_id, row["id"], status, delivered_at=delivered_at)
    return changes


async def known_tracking_numbers(
    conn: AsyncConnection, org_id: int, numbers: Sequence[str]
) -> set[str]:
    rows = await repo.shipments_by_tracking(conn, org_id, list(numbers))
    return {r["tracking_number"] for r in rows}
