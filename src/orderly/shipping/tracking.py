"""Tracking news from outside: events pushed by carriers, polls of carriers, the public page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.vault import Vault
from orderly.shipping import repository as repo
from orderly.shipping import service
from orderly.shipping.accounts import org_carriers
from orderly.shipping.domain import ShipmentStatusChange, TrackingUpdate
from orderly.shipping.followup import follow_status_changes
from orderly.shipping.schemas import StatusChangeOut, TrackingEventIn, TrackingEventsOut

logger = logging.getLogger(__name__)


async def receive_events(
    conn: AsyncConnection, org_id: int, events: list[TrackingEventIn]
) -> tuple[TrackingEventsOut, list[ShipmentStatusChange]]:
    """Record a pushed batch; unknown tracking numbers are reported back, not refused, so one
    stray number does not make the sender retry the whole batch."""
    by_number: dict[str, list[TrackingUpdate]] = {}
    for event in events:
        by_number.setdefault(event.tracking_number, []).append(
            TrackingUpdate(
                code=event.code,
                occurred_at=event.occurred_at,
                description=event.description,
                location=event.location,
            )
        )
    known = await service.known_tracking_numbers(conn, org_id, sorted(by_number))
    changes: list[ShipmentStatusChange] = []
    for number in sorted(known):
        changes.extend(await service.record_tracking(conn, org_id, number, by_number[number]))
    out = TrackingEventsOut(
        received=len(events),
        unknown_tracking_numbers=sorted(set(by_number) - known),
        status_changes=[
            StatusChangeOut(
                shipment_id=c.shipment_id, tracking_number=c.tracking_number, old=c.old, new=c.new
            )
            for c in changes
        ],
    )
    return out, changes


async def poll_carriers(
    database: Database, org_id: int, *, vault: Vault | None = None
) -> list[ShipmentStatusChange]:
    """Ask every carrier that can be polled about the organization's undelivered shipments.
    Each carrier is asked with no transaction open; each answer is stored (and carried on to
    fulfillment and returns) in a short transaction of its own. A shipment its carrier cannot
    answer for is left for the next poll."""
    async with database.reading() as conn:
        carriers = {
            code: carrier
            for code, (_, carrier) in (await org_carriers(conn, org_id, vault=vault)).items()
            if carrier.features.tracking
        }
        rows = await repo.open_shipments(conn, org_id, sorted(carriers)) if carriers else []
    changes: list[ShipmentStatusChange] = []
    for row in rows:
        number = row["tracking_number"]
        try:
            updates = await carriers[row["carrier"]].track(number)
        except OrderlyError as error:
            logger.warning("no tracking news of %s from %s: %s", number, row["carrier"], error)
            continue
        if not updates:
            continue
        async with database.transaction() as tx:
            moved = await service.record_tracking(tx.connection, org_id, number, updates)
            await follow_status_changes(tx.connection, org_id, moved)
        changes.extend(moved)
    return changes


async def orgs_to_poll(conn: AsyncConnection) -> list[int]:
    return await repo.orgs_with_open_shipments(conn)


@dataclass(frozen=True)
class PublicTracking:
    tracking_number: str
    carrier_name: str
    service_name: str
    status: str
    estimated_delivery: date | None
    delivered_at: datetime | None
    events: list[dict[str, Any]]


async def public_tracking(conn: AsyncConnection, tracking_number: str) -> PublicTracking | None:
    """What anyone holding the tracking number may see: no addresses, no prices, no order."""
    row = await repo.public_shipment(conn, tracking_number)
    if row is None:
        return None
    events = await repo.events_of(conn, row["org_id"], row["id"])
    return PublicTracking(
        tracking_number=row["tracking_number"],
        carrier_name=row["carrier_name"],
        service_name=row["service_name"],
        status=row["status"],
        estimated_delivery=row["estimated_delivery"],
        delivered_at=_utc(row["delivered_at"]),
        events=[{**e, "occurred_at": _utc(e["occurred_at"])} for e in reversed(events)],
    )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None
