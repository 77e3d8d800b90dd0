"""Sending fulfillment orders to their location's provider: the intent with our reference in one
transaction, the provider called with none open, the outcome in a second. An attempt after a
lost answer first looks the reference up, so nothing is created twice at the provider."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import outside as fulfillment
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.jobs import defer_job
from orderly.orders import timeline
from orderly.orders.fulfillment_status import order_for_fulfillment
from orderly.outside import repository as repo
from orderly.outside.access import Installation, provider_row, record_failure, record_healthy
from orderly.outside.domain import (
    ProviderOrderStatus,
    SkuMap,
    reference_for,
    retry_after_attempts,
)
from orderly.outside.errors import ProviderRefused
from orderly.outside.port import (
    FulfillmentProvider,
    OutboundLine,
    OutboundOrder,
    SentOrder,
    ShipTo,
)
from orderly.tenancy.domain import Principal, Role

logger = logging.getLogger(__name__)
P = ProviderOrderStatus
WITHDRAW_TASK = "outside:withdraw_order"


def provider_principal(row: Any) -> Principal:
    """Who moves fulfillment orders on a provider's word, as the timeline shows it."""
    return Principal(org_id=row.org_id, role=Role.ADMIN, actor=f"provider:{row.kind}")


def orders_lock(provider_id: int) -> str:
    """Sending and withdrawing a provider's orders run one at a time."""
    return f"provider:{provider_id}:orders"


async def lock_order(conn: AsyncConnection, org_id: int, order_id: int) -> None:
    """Every use case here locks the order first, as the order's own use cases do."""
    await order_for_fulfillment(conn, org_id, order_id, for_update=True)


async def send_orders(database: Database, installation: Installation, provider_id: int) -> int:
    """Send every fulfillment order of the provider's location that is due; returns how many
    went out."""
    row = await provider_row(database, provider_id)
    if row is None or not row.active:
        return 0
    async with database.reading() as conn:
        due = (await repo.due_for_sending(conn, provider_id=provider_id)).get(provider_id, [])
    if not due:
        return 0
    connector = installation.connector(row)
    sent = 0
    try:
        for fo_id in due:
            sent += await send_one(database, installation, row, connector, fo_id)
    finally:
        await connector.close()
    return sent


async def send_one(
    database: Database,
    installation: Installation,
    row: Any,
    connector: FulfillmentProvider,
    fo_id: int,
) -> int:
    async with database.transaction() as tx:
        claimed = await _claim(tx.connection, installation, row, fo_id)
    if claimed is None:
        return 0
    claim, outbound = claimed
    try:
        found = await connector.find(outbound.reference) if claim.attempts > 1 else None
        sent = found or await connector.send(outbound)
    except ProviderRefused as refusal:
        await _refused(database, row, claim, refusal)
        return 0
    except OrderlyError as error:
        await _failed(database, row, claim, error)
        return 0
    await _sent(database, row, claim, sent)
    return 1


async def _claim(
    conn: AsyncConnection, installation: Installation, row: Any, fo_id: int
) -> tuple[Any, OutboundOrder] | None:
    order_id = await repo.order_of_fulfillment_order(conn, row.org_id, fo_id)
    if order_id is None:
        return None
    await lock_order(conn, row.org_id, order_id)
    fo = await fulfillment.order_to_send(conn, row.org_id, fo_id)
    if fo is None:
        return None
    reference = reference_for(row.location_kind, fo_id)
    claim = await repo.claim_for_sending(
        conn,
        org_id=row.org_id,
        provider_id=row.id,
        fulfillment_order_id=fo_id,
        order_id=fo.order_id,
        reference=reference,
    )
    if claim is None:
        return None
    skus = SkuMap(dict(row.settings.get("sku_map") or {}))
    address = fo.ship_to
    outbound = OutboundOrder(
        reference=reference,
        order_number=fo.order_number,
        ship_to=ShipTo(
            name=str(address.get("name") or fo.customer_name or ""),
            line1=str(address.get("line1") or ""),
            line2=address.get("line2"),
            city=str(address.get("city") or ""),
            region=address.get("region"),
            postal_code=address.get("postal_code"),
            country=str(address.get("country") or ""),
            company=address.get("company"),
            phone=address.get("phone"),
            email=fo.customer_email,
        ),
        lines=tuple(
            OutboundLine(x.line_no, skus.theirs(x.sku), x.name, x.quantity, our_sku=x.sku)
            for x in fo.lines
        ),
        ordered_at=claim.created_at.astimezone(UTC) if claim.created_at else datetime.now(UTC),
        confirm_url=(
            installation.confirm_url(row.org_id, reference)
            if row.location_kind == "supplier"
            else None
        ),
    )
    return claim, outbound


async def _sent(database: Database, row: Any, claim: Any, sent: SentOrder) -> None:
    async with database.transaction() as tx:
        conn = tx.connection
        await lock_order(conn, row.org_id, claim.order_id)
        current = await repo.order_out(conn, row_id=claim.id, lock=True)
        assert current is not None
        values: dict[str, Any] = {"provider_ref": sent.provider_ref, "last_error": None}
        if current.sent_at is None:
            values["sent_at"] = utcnow()
        if current.status == P.SENDING.value:
            values["status"] = P.SENT.value
        await repo.update_order_out(conn, claim.id, **values)
        if current.status == P.CANCEL_REQUESTED.value:
            # Cancelled while it was being sent: now that it exists there, ask again.
            await defer_job(
                conn, WITHDRAW_TASK, lock=orders_lock(row.id), provider_order_id=claim.id
            )
        await timeline.append_events(
            conn,
            row.org_id,
            claim.order_id,
            [
                (
                    "fulfillment.sent_to_provider",
                    {
                        "fulfillment_order_id": claim.fulfillment_order_id,
                        "location": row.location_code,
                        "provider": row.kind,
                        "reference": claim.reference,
                        "provider_ref": sent.provider_ref,
                    },
                )
            ],
            provider_principal(row).actor,
        )
    await record_healthy(database, row)


async def _refused(database: Database, row: Any, claim: Any, refusal: ProviderRefused) -> None:
    """The provider will never take this order: it is rejected here and sourced elsewhere."""
    async with database.transaction() as tx:
        conn = tx.connection
        await lock_order(conn, row.org_id, claim.order_id)
        await repo.update_order_out(
            conn, claim.id, status=P.REFUSED.value, last_error=refusal.detail[:2000]
        )
        await fulfillment.reject_by_provider(
            conn,
            provider_principal(row),
            claim.fulfillment_order_id,
            note=f"{row.kind} refused the order: {refusal.detail}"[:500],
        )
    await record_failure(database, row, "send", refusal, health=False)


async def _failed(database: Database, row: Any, claim: Any, error: OrderlyError) -> None:
    """Unreachable, rate limited, or the answer lost: tried again later, looking it up first."""
    logger.warning("sending %s to %s failed: %s", claim.reference, row.kind, error.detail)
    async with database.transaction() as tx:
        await repo.update_order_out(
            tx.connection,
            claim.id,
            last_error=error.detail[:2000],
            next_attempt_at=utcnow() + retry_after_attempts(claim.attempts),
        )
    await record_failure(database, row, "send", error)
