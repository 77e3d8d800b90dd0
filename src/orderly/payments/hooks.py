"""Payment providers' webhooks (`POST /hooks/payments/stripe/{account_id}`, no API key: the
account's signing secret is the key), kept raw in the request's transaction and applied by a
job."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import JSONResponse, Response

from orderly.kit.deps import Conn
from orderly.kit.problems import responses
from orderly.kit.vault import vault_for
from orderly.payments import stripe_webhooks
from orderly.payments.providers.stripe.webhooks import SIGNATURE_HEADER

hooks = APIRouter(tags=["payment accounts"])
AccountId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@hooks.post(
    "/hooks/payments/stripe/{account_id}",
    summary="A Stripe account's webhook (signed with its signing secret; no API key)",
    responses=responses(
        404, described={400: "Missing or wrong `Stripe-Signature` (`webhook_signature_invalid`)"}
    ),
)
async def stripe_webhook(account_id: AccountId, request: Request, conn: Conn) -> Response:
    """Verified over the raw body, kept once by the event's id, and applied by a job; an event
    sent again is acknowledged (`duplicate`) and changes nothing."""
    outcome = await stripe_webhooks.receive(
        conn,
        vault_for(request.app.state.settings),
        account_id=account_id,
        payload=await request.body(),
        signature=request.headers.get(SIGNATURE_HEADER),
        now=time.time(),
    )
    return JSONResponse({"received": True, "event": outcome})
