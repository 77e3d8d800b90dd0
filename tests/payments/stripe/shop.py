"""A shop whose web channel is paid through a Stripe account on the fake Stripe: the account
connected through the API, an order placed with a PaymentIntent the storefront authorized, and
the payment jobs run as the worker runs them."""

from __future__ import annotations

from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.payments import lifecycle
from orderly.settings import Settings
from tests.factories import Org, set_channel_settings
from tests.payments.stripe.fake import FakeStripe
from tests.payments.test_payment_lifecycle import TOTAL, _pending, _place, _shop

ACCOUNT = "stripe-main"
WEBHOOK_SECRET = "whsec_test_OrderlyShopSigningSecret"
TOTAL_MINOR = 4498  # two lines at 19.99 and 5.00 shipping (tests.payments.test_payment_lifecycle)


async def connect_stripe(
    client: httpx.AsyncClient, org: Org, stripe: FakeStripe, *, multicapture: bool | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": ACCOUNT,
        "provider": "stripe",
        "credentials": {"secret_key": stripe.secret_key, "webhook_secret": WEBHOOK_SECRET},
    }
    if multicapture is not None:
        body["settings"] = {"multicapture": multicapture}
    saved = await client.post("/v1/payment-accounts", json=body, headers=org.headers)
    assert saved.status_code in (200, 201), saved.text
    return dict(saved.json())


async def stripe_shop(
    client: httpx.AsyncClient,
    db: Database,
    org: Org,
    stripe: FakeStripe,
    *,
    multicapture: bool | None = None,
) -> dict[str, Any]:
    """Two warehouses, the web channel paid through the Stripe account; the account."""
    await _shop(db, org)
    account = await connect_stripe(client, org, stripe, multicapture=multicapture)
    await set_channel_settings(db, org, "web", {"payment_account": ACCOUNT})
    return account


async def place_paid(db: Database, org: Org, intent: str) -> dict[str, Any]:
    """An order whose card the storefront authorized with the PaymentIntent `intent`."""
    return await _place(db, org, payment={**TOTAL, "method": "card", "reference": intent})


async def run_pending(db: Database, settings: Settings, order_id: int) -> list[str]:
    """Run the order's pending payment operations as the job does (the app's vault)."""
    vault = vault_for(settings)
    return [
        await lifecycle.run_operation(db, vault, operation_id)
        for operation_id in await _pending(db, order_id)
    ]
