"""The operations Orderly sends to payment providers (capture, void, refund), and the accounts
that hold an organization's provider credentials."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.vault import Vault
from orderly.payments.base import ProviderAccount
from orderly.payments.models import payment_accounts, payment_operations

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
