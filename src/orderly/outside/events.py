"""A provider's news turned into fulfillment moves: accepted, shipped with tracking (stock out as
our own parcels), cancelled or refused. Each event is applied once, in a transaction of its own,
keyed by the provider's event id, however often and however concurrently it is read."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import outside as fulfillment
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.errors import NotFound, OrderlyError
from orderly.order_flows import cancellation
from orderly.orders import timeline
from orderly.outside import repository as repo
from orderly.outside.access import Installation, provider_row, record_failure, record_healthy
from orderly.outside.domain import (
    OUT_AT_PROVIDER,
    ProviderOrderStatus,
    SkuMap,
    ensure_provider_order_transition,
)
from orderly.outside.port import EventKind, ExchangeProblem, ProviderEvent, SentOrder
from orderly.outside.sending import lock_order, provider_principal

logger = logging.getLogger(__name__)
P = ProviderOrderStatus


class UnknownReference(NotFound):
    code = "provider_reference_unknown"


async def poll_provider(database: Database, installation: Installation, provider_id: int) -> int:
    """Ask the provider for news of our open orders (no transaction open), apply each event,
    keep what could not be read, then archive what was read. Returns the events applied."""
    row = await provider_row(database, provider_id)
    if row is None or not row.active:
        return 0
    async with database.reading() as conn:
        open_orders = [
            SentOrder(o.reference, o.provider_ref) for o in await repo.open_orders_of(conn, row.id)
        ]
    connector = installation.connector(row)
    try:
        polled = await connector.poll(open_orders)
        applied = 0
        for event in polled.events:
            applied += await apply_event(database, row, event)
        await record_problems(database, row, "poll", polled.problems)
        if polled.sources:
            await connector.archive(polled.sources)
    except OrderlyError as error:
        await record_failure(database, row, "poll", error)
        return 0
    finally:
        await connector.close()
    await record_healthy(database, row, last_poll_at=utcnow())
    return applied


async def record_problems(
    database: Database, row: Any, activity: str, problems: tuple[ExchangeProblem, ...]
) -> None:
    if not problems:
        return
    async with database.transaction() as tx:
        for problem in problems:
            await repo.record_error(
                tx.connection,
                org_id=row.org_id,
                provider_id=row.id,
                activity=activity,
                code="unreadable",
                detail=problem.detail,
                source=problem.source,
                row_number=problem.row,
            )


async def apply_event(database: Database, row: Any, event: ProviderEvent) -> int:
    """1 when the event moved something now; 0 when it was applied (or refused) before, or is
    refused now (kept once, with its reason, among the provider's errors)."""
    try:
        async with database.transaction() as tx:
            return 1 if await apply_in(tx.connection, row, event) else 0
    except OrderlyError as error:
        logger.info("event %s of provider %s refused: %s", event.event_id, row.id, error.detail)
        async with database.transaction() as tx:
            if await _keep(tx.connection, row, event, status="refused", detail=error.detail):
                await repo.record_error(
                    tx.connection,
                    org_id=row.org_id,
                    provider_id=row.id,
                    activity=f"event {event.kind.value} {event.reference}",
                    code=error.code,
                    detail=error.detail,
                    source=event.source,
                    row_number=event.row,
                )
        return 0


async def apply_in(conn: AsyncConnection, row: Any, event: ProviderEvent) -> bool:
    """Apply the event in the caller's transaction; False when it was applied before."""
    if not await _keep(conn, row, event, status="applied"):
        return False
    await _apply(conn, row, event)
    return True


async def _keep(
    conn: AsyncConnection, row: Any, event: ProviderEvent, *, status: str, detail: str | None = None
) -> bool:
    return await repo.record_event(
        conn,
        org_id=row.org_id,
        provider_id=row.id,
        event_id=event.event_id,
        kind=event.kind.value,
        reference=event.reference,
        status=status,
        detail=detail,
        payload={
            "parcels": [
                {"tracking_number": p.tracking_number, "carrier": p.carrier, "units": dict(p.units)}
                for p in event.parcels
            ],
            "reason": event.reason,
            "source": event.source,
            "row": event.row,
        },
    )


async def _apply(conn: AsyncConnection, row: Any, event: ProviderEvent) -> None:
    sent = await repo.order_out(conn, reference=event.reference)
    if sent is None or sent.provider_id != row.id:
        raise UnknownReference(f"{row.kind} sent news of {event.reference!r}, not an order of ours")
    await lock_order(conn, row.org_id, sent.order_id)
    sent = await repo.order_out(conn, row_id=sent.id, lock=True)
    assert sent is not None
    principal = provider_principal(row)
    if event.kind is EventKind.ACCEPTED:
        await fulfillment.accept_by_provider(conn, principal, sent.fulfillment_order_id)
    elif event.kind is EventKind.SHIPPED:
        await _shipped(conn, row, sent, event)
    else:
        await _not_sent(conn, row, sent, event)


async def _shipped(conn: AsyncConnection, row: Any, sent: Any, event: ProviderEvent) -> None:
    skus = SkuMap(dict(row.settings.get("sku_map") or {}))
    parcels = [
        fulfillment.OutsideParcel(
            tracking_number=p.tracking_number,
            carrier=p.carrier,
            service=p.service,
            units=skus.ours_of(p.units),
        )
        for p in event.parcels
    ]
    shipped = await fulfillment.ship_by_provider(
        conn, provider_principal(row), sent.fulfillment_order_id, parcels
    )
    if shipped.beyond:
        await repo.record_error(
            conn,
            org_id=row.org_id,
            provider_id=row.id,
            activity=f"event shipped {event.reference}",
            code="units_beyond_order",
            detail="units the order did not hold open, not taken out of stock: "
            + ", ".join(f"{sku} x {units}" for sku, units in sorted(shipped.beyond.items())),
            source=event.source,
            row_number=event.row,
        )
    status = P(sent.status)
    if status is P.CANCEL_REQUESTED:
        await timeline.append_events(
            conn,
            row.org_id,
            sent.order_id,
            [("order.cancellation_refused", {"reference": sent.reference, "reason": "shipped"})],
            provider_principal(row).actor,
        )
    if shipped.complete and status in OUT_AT_PROVIDER:
        ensure_provider_order_transition(status, P.SHIPPED)
        await repo.update_order_out(conn, sent.id, status=P.SHIPPED.value, cancel_order=False)
    elif status is P.CANCEL_REQUESTED:
        await repo.update_order_out(conn, sent.id, status=P.SENT.value, cancel_order=False)


async def _not_sent(conn: AsyncConnection, row: Any, sent: Any, event: ProviderEvent) -> None:
    """Cancelled or refused by the provider. When we asked on behalf of the order's
    cancellation, the order is cancelled now; otherwise the units are sourced again."""
    status = P(sent.status)
    if status not in OUT_AT_PROVIDER:
        return  # it shipped in full, or was closed here already
    target = P.REFUSED if event.kind is EventKind.REFUSED else P.CANCELLED
    ensure_provider_order_transition(status, target)
    await repo.update_order_out(conn, sent.id, status=target.value)
    principal = provider_principal(row)
    if status is P.CANCEL_REQUESTED and sent.cancel_order:
        await cancel_order_now(conn, principal, sent)
        return
    reason = event.reason or f"{event.kind.value} by {row.kind}"
    await fulfillment.reject_by_provider(
        conn, principal, sent.fulfillment_order_id, note=f"{row.kind}: {reason}"[:500]
    )


async def cancel_order_now(conn: AsyncConnection, principal: Any, sent: Any) -> None:
    """The provider agreed: the order's cancellation goes on (it waits for any other provider
    still holding units of it)."""
    await cancellation.cancel_unshipped(
        conn, principal, sent.order_id, sent.cancel_reason or "cancelled"
    )
