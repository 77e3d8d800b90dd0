"""Payment accounts (`/v1/payment-accounts`): an organization's accounts at payment providers,
their credentials stored encrypted and never returned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.problems import responses
from orderly.kit.vault import Vault, vault_for
from orderly.payments import accounts
from orderly.payments.schemas import PaymentAccountIn, PaymentAccountOut
from orderly.tenancy.deps import Reader, SettingsWriter

router = APIRouter(tags=["payment accounts"])


def _vault(request: Request) -> Vault:
    return vault_for(request.app.state.settings)


def _public_url(request: Request) -> str:
    url: str = request.app.state.settings.public_url
    return url


SecretVault = Annotated[Vault, Depends(_vault)]
PublicUrl = Annotated[str, Depends(_public_url)]


@router.post(
    "/payment-accounts",
    response_model=PaymentAccountOut,
    status_code=201,
    summary="Connect an account at a payment provider, or replace the one of the same code",
    responses=responses(403, 422),
)
async def save_payment_account(
    data: PaymentAccountIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: SettingsWriter,
    vault: SecretVault,
    public_url: PublicUrl,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The credentials are checked for the provider's shape (a Stripe publishable key is
    refused), stored encrypted and never returned; the answer (201, or 200 when an account of
    the code was replaced) gives the account's webhook URL."""

    async def save() -> Created:
        saved = await accounts.save_account(
            conn, principal.org_id, data, vault=vault, public_url=public_url
        )
        return (201 if saved.created else 200), saved.account.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=save
    )


@router.get(
    "/payment-accounts",
    response_model=list[PaymentAccountOut],
    summary="The organization's payment accounts, without their secrets",
)
async def list_payment_accounts(
    conn: Conn, principal: Reader, vault: SecretVault, public_url: PublicUrl
) -> list[PaymentAccountOut]:
    return await accounts.list_accounts(conn, principal.org_id, vault=vault, public_url=public_url)
