"""The operations Orderly sends to payment providers (capture, void, refund), and the accounts
that hold an organization's provider credentials."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.vault import Vault
from orderly.orders.models import order_payments
from orderly.payments.base import ProviderAccount
from orderly.payments.models import payment_accounts, payment_operations, payment_webhook_events

RUN_OPERATION_TASK = "payments:run_operation"


class OperationKind(StrEnum):
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class OperationStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Operation:
    id: int
    org_id: int
    order_id: int
    payment_id: int
    kind: OperationKind
    amount_minor: int
    final: bool
    refund_id: int | None
    reason: str | None
    idempotency_key: str
    status: OperationStatus
    attempts: int
    actor: str | None


def _operation(row: Any) -> Operation:
    return Operation(
        id=row["id"],
        org_id=row["org_id"],
        order_id=row["order_id"],
        payment_id=row["payment_id"],
        kind=OperationKind(row["kind"]),
        amount_minor=row["amount_minor"],
        final=row["final"],
        refund_id=row["refund_id"],
        reason=row["reason"],
        idempotency_key=row["idempotency_key"],
        status=OperationStatus(row["status"]),
        attempts=row["attempts"],
        actor=row["actor"],
    )


async def add_operation(
    conn: AsyncConnection,
    *,
    org_id: int,
    order_id: int,
    payment_id: int,
    kind: OperationKind,
    amount_minor: int,
    key: str,
    actor: str,
    final: bool = True,
    refund_id: int | None = None,
    reason: str | None = None,
) -> Operation:
    """The operation, written before any provider hears of it; its key is the one the provider
    receives, so a retry never moves money twice."""
    row = (
        await conn.execute(
            sa.insert(payment_operations)
            .values(
                org_id=org_id,
                order_id=order_id,
                payment_id=payment_id,
                kind=kind.value,
                amount_minor=amount_minor,
                final=final,
                refund_id=refund_id,
                reason=reason,
                idempotency_key=key,
                actor=actor,
            )
            .returning(payment_operations)
        )
    ).one()
    return _operation(row._mapping)


async def operation(
    conn: AsyncConnection, operation_id: int, *, lock: bool = False
) -> Operation | None:
    statement = sa.select(payment_operations).where(payment_operations.c.id == operation_id)
    row = (await conn.execute(statement.with_for_update() if lock else statement)).first()
    return _operation(row._mapping) if row else None


async def pending_captures_minor(conn: AsyncConnection, org_id: int, order_id: int) -> int:
    """What captures sent and not yet answered will take, on top of what was captured."""
    o = payment_operations.c
    total = await conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(o.amount_minor), 0)).where(
            o.org_id == org_id,
            o.order_id == order_id,
            o.kind == OperationKind.CAPTURE.value,
            o.status == OperationStatus.PENDING.value,
        )
    )
    return int(total.scalar_one())


async def pending_of_payment(
    conn: AsyncConnection, org_id: int, payment_id: int
) -> list[Operation]:
    o = payment_operations.c
    rows = await conn.execute(
        sa.select(payment_operations)
        .where(
            o.org_id == org_id,
            o.payment_id == payment_id,
            o.status == OperationStatus.PENDING.value,
        )
        .order_by(o.id)
    )
    return [_operation(r._mapping) for r in rows]


async def provider_references(conn: AsyncConnection, org_id: int, payment_id: int) -> set[str]:
    """What the provider called the operations Orderly sent for the payment (refund ids...)."""
    o = payment_operations.c
    rows = await conn.execute(
        sa.select(o.provider_reference).where(
            o.org_id == org_id, o.payment_id == payment_id, o.provider_reference.is_not(None)
        )
    )
    return {r.provider_reference for r in rows}


async def count_of_kind(
    conn: AsyncConnection, org_id: int, payment_id: int, kind: OperationKind
) -> int:
    o = payment_operations.c
    count = await conn.execute(
        sa.select(sa.func.count()).where(
            o.org_id == org_id, o.payment_id == payment_id, o.kind == kind.value
        )
    )
    return int(count.scalar_one())


async def count_attempt(conn: AsyncConnection, operation_id: int, error: str | None) -> None:
    await conn.execute(
        sa.update(payment_operations)
        .where(payment_operations.c.id == operation_id)
        .values(
            attempts=payment_operations.c.attempts + 1,
            last_error=error,
            updated_at=sa.func.now(),
        )
    )


async def settle(
    conn: AsyncConnection,
    operation_id: int,
    status: OperationStatus,
    *,
    provider_reference: str | None = None,
    error: str | None = None,
) -> None:
    await conn.execute(
        sa.update(payment_operations)
        .where(payment_operations.c.id == operation_id)
        .values(
            status=status.value,
            provider_reference=provider_reference,
            last_error=error,
            attempts=payment_operations.c.attempts + 1,
            updated_at=sa.func.now(),
        )
    )


async def operations_of_order(
    conn: AsyncConnection, org_id: int, order_id: int
) -> list[dict[str, Any]]:
    o = payment_operations.c
    rows = await conn.execute(
        sa.select(payment_operations)
        .where(o.org_id == org_id, o.order_id == order_id)
        .order_by(o.id)
    )
    return [dict(r._mapping) for r in rows]


# Accounts ------------------------------------------------------------------------------------


async def account(
    conn: AsyncConnection, org_id: int, account_id: int, vault: Vault
) -> ProviderAccount | None:
    a = payment_accounts.c
    row = (
        await conn.execute(
            sa.select(a.id, a.code, a.credentials, a.settings).where(
                a.org_id == org_id, a.id == account_id, a.active
            )
        )
    ).first()
    if row is None:
        return None
    return ProviderAccount(row.id, row.code, vault.open_json(row.credentials), dict(row.settings))


async def account_by_code(conn: AsyncConnection, org_id: int, code: str) -> dict[str, Any] | None:
    a = payment_accounts.c
    row = (
        await conn.execute(sa.select(payment_accounts).where(a.org_id == org_id, a.code == code))
    ).first()
    return dict(row._mapping) if row else None


async def save_account(
    conn: AsyncConnection,
    *,
    org_id: int,
    code: str,
    provider: str,
    credentials: bytes,
    settings: dict[str, Any],
) -> dict[str, Any]:
    a = payment_accounts.c
    statement = (
        sa.dialects.postgresql.insert(payment_accounts)
        .values(
            org_id=org_id, code=code, provider=provider, credentials=credentials, settings=settings
        )
        .on_conflict_do_update(
            index_elements=[a.org_id, a.code],
            set_={
                "provider": provider,
                "credentials": credentials,
                "settings": settings,
                "active": True,
                "updated_at": sa.func.now(),
            },
        )
        .returning(payment_accounts)
    )
    return dict((await conn.execute(statement)).one()._mapping)


async def accounts_of(conn: AsyncConnection, org_id: int) -> list[dict[str, Any]]:
    a = payment_accounts.c
    rows = await conn.execute(
        sa.select(payment_accounts).where(a.org_id == org_id).order_by(a.code)
    )
    return [dict(r._mapping) for r in rows]


async def webhook_account(conn: AsyncConnection, account_id: int) -> dict[str, Any] | None:
    """An account a provider's webhook names, in whichever organization: the webhook has no API
    key, and the account's own signing secret is what lets its events in."""
    a = payment_accounts.c
    row = (
        await conn.execute(
            sa.select(a.id, a.org_id, a.provider, a.credentials).where(a.id == account_id, a.active)
        )
    ).first()
    return dict(row._mapping) if row else None


async def remember_webhook_event(
    conn: AsyncConnection,
    *,
    org_id: int,
    account_id: int,
    event_id: str,
    event_type: str,
    payload: dict[str, Any],
) -> int | None:
    """Keep the event as it came; its row's id, or None when the account's webhook delivered
    it before."""
    statement = (
        sa.dialects.postgresql.insert(payment_webhook_events)
        .values(
            org_id=org_id,
            account_id=account_id,
            event_id=event_id,
            type=event_type,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "event_id"])
        .returning(payment_webhook_events.c.id)
    )
    row_id: int | None = (await conn.execute(statement)).scalar_one_or_none()
    return row_id


async def webhook_event_to_apply(conn: AsyncConnection, row_id: int) -> dict[str, Any] | None:
    """The kept event, locked, unless it was applied already."""
    w = payment_webhook_events.c
    row = (
        await conn.execute(
            sa.select(w.id, w.org_id, w.account_id, w.type, w.payload)
            .where(w.id == row_id, w.applied_at.is_(None))
            .with_for_update()
        )
    ).first()
    return dict(row._mapping) if row else None


async def webhook_event_applied(conn: AsyncConnection, row_id: int, outcome: str) -> None:
    await conn.execute(
        sa.update(payment_webhook_events)
        .where(payment_webhook_events.c.id == row_id)
        .values(applied_at=sa.func.now(), outcome=outcome)
    )


async def payment_of_reference(
    conn: AsyncConnection, org_id: int, account_id: int, reference: str
) -> tuple[int, int] | None:
    """(order, payment) of the account's payment with this reference at the provider."""
    p = order_payments.c
    row = (
        await conn.execute(
            sa.select(p.order_id, p.id)
            .where(p.org_id == org_id, p.account_id == account_id, p.reference == reference)
            .order_by(p.id.desc())
            .limit(1)
        )
    ).first()
    return (row.order_id, row.id) if row else None
