"""Payment accounts: an organization's accounts at payment providers (Stripe), their
credentials sealed by the vault and never shown again. A channel pays its orders through one
(`settings["payment_account"]`); the provider sends the account's webhooks to its own URL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.vault import Vault
from orderly.payments import operations as ops
from orderly.payments.errors import UnknownPaymentProvider
from orderly.payments.providers.stripe import provider as stripe
from orderly.payments.schemas import PaymentAccountIn, PaymentAccountOut

# The providers reached through an account, each with the check of its credentials.
ACCOUNT_PROVIDERS: dict[str, Callable[[Mapping[str, str]], None]] = {
    stripe.NAME: stripe.check_credentials,
}


@dataclass(frozen=True, slots=True)
class SavedAccount:
    account: PaymentAccountOut
    created: bool  # False when an account of this code was replaced


async def save_account(
    conn: AsyncConnection,
    org_id: int,
    data: PaymentAccountIn,
    *,
    vault: Vault,
    public_url: str,
) -> SavedAccount:
    """Create the account, or replace the one of the same code; its credentials checked for
    the provider's shape (422 naming the field) and sealed."""
    check = ACCOUNT_PROVIDERS.get(data.provider)
    if check is None:
        known = ", ".join(sorted(ACCOUNT_PROVIDERS))
        raise UnknownPaymentProvider(
            f"no payment provider {data.provider!r} takes accounts; known: {known}",
            field="provider",
        )
    credentials = {name: value.strip() for name, value in data.credentials.items()}
    check(credentials)
    existing = await ops.account_by_code(conn, org_id, data.code)
    row = await ops.save_account(
        conn,
        org_id=org_id,
        code=data.code,
        provider=data.provider,
        credentials=vault.seal_json(credentials),
        settings=data.settings.model_dump(exclude_none=True),
    )
    return SavedAccount(account_out(row, vault=vault, public_url=public_url), existing is None)


async def list_accounts(
    conn: AsyncConnection, org_id: int, *, vault: Vault, public_url: str
) -> list[PaymentAccountOut]:
    rows = await ops.accounts_of(conn, org_id)
    return [account_out(row, vault=vault, public_url=public_url) for row in rows]


def webhook_url(public_url: str, provider: str, account_id: int) -> str:
    return f"{public_url.rstrip('/')}/hooks/payments/{provider}/{account_id}"


def account_out(row: Mapping[str, Any], *, vault: Vault, public_url: str) -> PaymentAccountOut:
    try:
        credentials_set = sorted(
            name for name, value in vault.open_json(row["credentials"]).items() if value
        )
    except ValueError:  # sealed under another ORDERLY_SECRET_KEY: to be given again
        credentials_set = []
    return PaymentAccountOut(
        id=row["id"],
        code=row["code"],
        provider=row["provider"],
        settings=dict(row["settings"] or {}),
        credentials_set=credentials_set,
        webhook_url=webhook_url(public_url, row["provider"], row["id"]),
        active=row["active"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
