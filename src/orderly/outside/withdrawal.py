"""Cancelling what a provider holds: the order's cancellation asks it first (in a job, no
transaction open), and goes on only when it agrees; one that shipped refuses and the order stays.
Also fulfillment's port: which locations and fulfillment orders are in a provider's hands."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import outside_port
from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.jobs import defer_job
from orderly.orders import timeline
from orderly.outside import repository as repo
from orderly.outside.access import Installation, record_failure, record_healthy
from orderly.outside.domain import ProviderOrderStatus
from orderly.outside.events import cancel_order_now
from orderly.outside.port import CancelOutcome, SentOrder
from orderly.outside.sending import WITHDRAW_TASK, lock_order, orders_lock, provider_principal
from orderly.tenancy.domain import Principal

P = ProviderOrderStatus


class Operators:
    """Fulfillment's port (`fulfillment.outside_port`), filled by this feature."""

    async def operated_by_others(
        self, conn: AsyncConnection, org_id: int, location_id: int
    ) -> bool:
        return await repo.operated_by_others(conn, org_id, location_id)

    async def out_at_provider(self, conn: AsyncConnection, org_id: int, fo_id: int) -> bool:
        return await repo.out_for_fulfillment_order(conn, org_id, fo_id)

    async def ask_to_withdraw(
        self, conn: AsyncConnection, principal: Principal, order_id: int, *, reason: str
    ) -> bool:
        out = await repo.out_for_order(conn, principal.org_id, order_id, lock=True)
        if not out:
            return False
        for sent in out:
            values: dict[str, Any] = {"cancel_order": True, "cancel_reason": reason}
            if sent.status != P.CANCEL_REQUESTED.value:
                values["status"] = P.CANCEL_REQUESTED.value
                await defer_job(
                    conn,
                    WITHDRAW_TASK,
                    lock=orders_lock(sent.provider_id),
                    provider_order_id=sent.id,
                )
            await repo.update_order_out(conn, sent.id, **values)
        await timeline.append_events(
            conn,
            principal.org_id,
            order_id,
            [
                (
                    "order.cancellation_requested",
                    {"reason": reason, "references": [s.reference for s in out]},
                )
            ],
            principal.actor,
        )
        return True

    async def withdrawal_pending(self, conn: AsyncConnection, org_id: int, order_id: int) -> bool:
        out = await repo.out_for_order(conn, org_id, order_id)
        return any(s.status == P.CANCEL_REQUESTED.value for s in out)


def install() -> None:
    outside_port.install_outside(Operators())


async def withdraw(database: Database, installation: Installation, provider_order_id: int) -> str:
    """Ask the provider to cancel one order we sent; returns the outcome."""
    async with database.reading() as conn:
        sent = await repo.order_out(conn, row_id=provider_order_id)
        row = (
            await repo.provider_by_id(conn, sent.provider_id) if sent and sent.provider_id else None
        )
    if sent is None or row is None or sent.status != P.CANCEL_REQUESTED.value:
        return "nothing to ask"
    connector = installation.connector(row)
    try:
        held = (
            SentOrder(sent.reference, sent.provider_ref)
            if sent.provider_ref
            else await connector.find(sent.reference)
        )
        outcome = (
            await connector.cancel(held, reason=sent.cancel_reason or "cancelled")
            if held is not None
            else CancelOutcome.CANCELLED  # it never reached the provider
        )
    except OrderlyError as error:
        await record_failure(database, row, "cancel", error)
        raise  # the job is tried again
    finally:
        await connector.close()
    await _record(database, row, provider_order_id, outcome)
    await record_healthy(database, row)
    return outcome.value


async def _record(
    database: Database, row: Any, provider_order_id: int, outcome: CancelOutcome
) -> None:
    principal = provider_principal(row)
    async with database.transaction() as tx:
        conn = tx.connection
        sent = await repo.order_out(conn, row_id=provider_order_id)
        assert sent is not None
        await lock_order(conn, row.org_id, sent.order_id)
        sent = await repo.order_out(conn, row_id=provider_order_id, lock=True)
        if sent is None or sent.status != P.CANCEL_REQUESTED.value:
            return  # the provider's own news came first
        if outcome is CancelOutcome.CANCELLED:
            await repo.update_order_out(conn, sent.id, status=P.CANCELLED.value)
            if sent.cancel_order:
                await cancel_order_now(conn, principal, sent)
        elif outcome is CancelOutcome.REFUSED:
            await repo.update_order_out(conn, sent.id, status=P.SENT.value, cancel_order=False)
            await timeline.append_events(
                conn,
                row.org_id,
                sent.order_id,
                [
                    (
                        "order.cancellation_refused",
                        {"reference": sent.reference, "provider": row.kind, "reason": "shipped"},
                    )
                ],
                principal.actor,
            )
