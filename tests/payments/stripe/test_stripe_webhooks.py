"""Stripe's webhooks for a payment account, and the payment accounts API: a delivery is let in
only with the account's signature and applied once however often it comes; an authorization
Stripe let go, a refund made in Stripe's Dashboard and a capture made there reach the order's
payment; an account's secrets go in and never come out."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.payments import stripe_webhooks
from orderly.payments.providers.stripe import StripePayments
from orderly.settings import Settings
from orderly.tenancy.domain import Role
from tests.clock import MovableClock
from tests.factories import Org, key_for, order_view
from tests.payments.stripe.conftest import FAKE_BASE
from tests.payments.stripe.fake import AUTHORIZATION_SECONDS, FakeStripe, event_body, sign_event
from tests.payments.stripe.shop import (
    ACCOUNT,
    TOTAL_MINOR,
    WEBHOOK_SECRET,
    place_paid,
    run_pending,
    stripe_shop,
)
from tests.payments.test_payment_lifecycle import _events, _ship_from

pytestmark = pytest.mark.usefixtures("stripe_accounts")


@pytest.fixture
async def dashboard(stripe: FakeStripe) -> AsyncIterator[StripePayments]:
    """What a person does in Stripe's Dashboard, on the same account."""
    async with StripePayments(
        stripe.secret_key, base_url=FAKE_BASE, transport=stripe.transport
    ) as client:
        yield client


@dataclass(frozen=True)
class Delivered:
    """The webhook's answer, and what its job made of the event ("duplicate" when it was kept
    before, None when it was refused)."""

    response: httpx.Response
    outcome: str | None

    @property
    def status_code(self) -> int:
        return self.response.status_code

    def json(self) -> Any:
        return self.response.json()


async def _deliver(
    db: Database,
    client: httpx.AsyncClient,
    account_id: int,
    body: bytes,
    *,
    secret: str = WEBHOOK_SECRET,
    signature: str | None = None,
) -> Delivered:
    """POST the event as Stripe does (the raw body, signed now with the endpoint's secret), then
    run the job that applies what was kept."""
    header = signature if signature is not None else sign_event(body, secret, int(time.time()))
    response = await client.post(
        f"/hooks/payments/stripe/{account_id}",
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    if response.status_code != 200:
        return Delivered(response, None)
    if response.json()["event"] == "duplicate":
        return Delivered(response, "duplicate")
    event_id = json.loads(body)["id"]
    async with db.transaction() as tx:
        row_id = (
            await tx.connection.exec_driver_sql(
                "SELECT id FROM payment_webhook_events WHERE account_id = %(a)s "
                "AND event_id = %(e)s",
                {"a": account_id, "e": event_id},
            )
        ).scalar_one()
    return Delivered(response, await stripe_webhooks.apply_event(db, row_id))


async def _webhook_events(db: Database, account_id: int) -> list[str]:
    async with db.transaction() as tx:
        rows = await tx.connection.exec_driver_sql(
            "SELECT event_id FROM payment_webhook_events WHERE account_id = %(a)s ORDER BY id",
            {"a": account_id},
        )
        return [r.event_id for r in rows]


async def _refunds(client: httpx.AsyncClient, org: Org, order_id: int) -> list[dict[str, Any]]:
    listed = await client.get(f"/v1/orders/{order_id}/refunds", headers=org.headers)
    return list(listed.json())


class TestSignature:
    @pytest.mark.parametrize("how", ["another secret", "no header", "changed body"])
    async def test_a_delivery_without_the_accounts_signature_changes_nothing(
        self, db: Database, org: Org, client: httpx.AsyncClient, stripe: FakeStripe, how: str
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        body = event_body("evt_forged", "payment_intent.canceled", {
            **stripe.intent_object(intent), "status": "canceled", "cancellation_reason": "expired",
        })  # fmt: skip
        signed = sign_event(body, WEBHOOK_SECRET, int(time.time()))
        if how == "another secret":
            answer = await _deliver(db, client, account["id"], body, secret="whsec_notTheAccounts")
        elif how == "no header":
            answer = await client.post(f"/hooks/payments/stripe/{account['id']}", content=body)
        else:
            answer = await _deliver(db, client, account["id"], body + b" ", signature=signed)

        assert answer.status_code == 400, answer.json()
        assert answer.json()["code"] == "webhook_signature_invalid"
        assert await _webhook_events(db, account["id"]) == []
        payment = (await order_view(db, org, placed["id"]))["payments"][0]
        assert (payment["status"], payment["problem"]) == ("authorized", None)

    async def test_an_unknown_account_is_not_found(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        body = event_body("evt_1", "payment_intent.canceled", {"id": "pi_x"})
        answer = await _deliver(db, client, 2**62, body)
        assert answer.status_code == 404
        assert answer.json()["code"] == "payment_account_not_found"

    async def test_an_event_orderly_does_not_use_is_acknowledged(
        self, db: Database, org: Org, client: httpx.AsyncClient, stripe: FakeStripe
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        body = event_body("evt_other", "customer.created", {"id": "cus_1", "object": "customer"})
        answer = await _deliver(db, client, account["id"], body)
        assert answer.status_code == 200
        assert answer.outcome == "ignored"


class TestAuthorizationLetGo:
    async def test_an_expired_authorization_is_released_and_flagged_once(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        stripe: FakeStripe,
        clock: MovableClock,
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        clock.advance(AUTHORIZATION_SECONDS + 1)
        body = event_body("evt_expired", "payment_intent.canceled", stripe.intent_object(intent))

        first = await _deliver(db, client, account["id"], body)
        again = await _deliver(db, client, account["id"], body)

        assert (first.status_code, first.outcome) == (200, "released")
        assert (again.status_code, again.outcome) == (200, "duplicate")
        payment = (await order_view(db, org, placed["id"]))["payments"][0]
        assert payment["status"] == "voided"
        assert "expired" in payment["problem"]
        events = [e["type"] for e in await _events(db, org, placed["id"])]
        assert events.count("payment.authorization_expired") == 1
        assert await _webhook_events(db, account["id"]) == ["evt_expired"]

    async def test_a_cancel_orderly_sent_is_left_to_its_job(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await client.post(
            f"/v1/orders/{placed['id']}/cancel", json={"reason": "gone"}, headers=org.headers
        )
        await run_pending(db, settings, placed["id"])

        body = event_body("evt_ours", "payment_intent.canceled", stripe.intent_object(intent))
        assert (await _deliver(db, client, account["id"], body)).outcome == "ignored"
        payment = (await order_view(db, org, placed["id"]))["payments"][0]
        assert (payment["status"], payment["problem"]) == ("voided", None)


class TestRefundMadeInStripe:
    async def test_a_dashboard_refund_is_recorded_once(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
        dashboard: StripePayments,
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await _ship_from(db, org, placed["id"], "WH1")
        await run_pending(db, settings, placed["id"])  # 24.99 captured
        await dashboard.refund(intent, 500, idempotency_key="dashboard-refund-1")
        body = event_body("evt_refund", "charge.refunded", stripe.charge_object(intent))

        assert (await _deliver(db, client, account["id"], body)).outcome == "refunded"
        assert (await _deliver(db, client, account["id"], body)).outcome == "duplicate"
        # The same state told by another event changes nothing more either.
        other = event_body("evt_refund_2", "charge.refunded", stripe.charge_object(intent))
        assert (await _deliver(db, client, account["id"], other)).outcome == "ignored"

        [refund] = await _refunds(client, org, placed["id"])
        assert (refund["amount"], refund["provider"], refund["status"]) == (
            "5.00",
            "stripe",
            "succeeded",
        )
        payment = (await order_view(db, org, placed["id"]))["payments"][0]
        assert payment["refunded"] == "5.00"
        assert len(stripe.refunds) == 1  # Orderly sent nothing to Stripe

    async def test_a_refund_orderly_sent_is_not_counted_again(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await _ship_from(db, org, placed["id"], "WH1")
        await run_pending(db, settings, placed["id"])
        await client.post(
            f"/v1/orders/{placed['id']}/refunds", json={"amount": "4.00"}, headers=org.headers
        )
        await run_pending(db, settings, placed["id"])
        [ours] = stripe.refunds.values()
        charge = {**stripe.charge_object(intent), "refunds": {"object": "list", "data": [
            {"id": ours.id, "object": "refund", "amount": 400},
        ]}}  # fmt: skip

        answer = await _deliver(
            db, client, account["id"], event_body("evt_r", "charge.refunded", charge)
        )

        assert answer.outcome == "ignored"
        assert [r["amount"] for r in await _refunds(client, org, placed["id"])] == ["4.00"]


class TestCaptureMadeInStripe:
    async def test_an_amount_captured_in_the_dashboard_is_recorded(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        stripe: FakeStripe,
        dashboard: StripePayments,
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await dashboard.capture(intent, 3000, final=True, idempotency_key="dashboard-capture")

        succeeded = event_body("evt_pi", "payment_intent.succeeded", stripe.intent_object(intent))
        captured = event_body("evt_ch", "charge.captured", stripe.charge_object(intent))
        assert (await _deliver(db, client, account["id"], succeeded)).outcome == "captured"
        assert (await _deliver(db, client, account["id"], captured)).outcome == "ignored"

        payment = (await order_view(db, org, placed["id"]))["payments"][0]
        assert (payment["status"], payment["captured"]) == ("captured", "30.00")
        events = [
            e for e in await _events(db, org, placed["id"]) if e["type"] == "payment.captured"
        ]
        assert [e["data"]["reason"] for e in events] == ["captured in Stripe"]


class TestPaymentAccounts:
    async def test_a_publishable_key_is_refused_naming_the_field(
        self, org: Org, client: httpx.AsyncClient
    ) -> None:
        body = {
            "code": "s1",
            "provider": "stripe",
            "credentials": {"secret_key": "pk_live_abcdefgh1234", "webhook_secret": "whsec_x1"},
        }
        refused = await client.post("/v1/payment-accounts", json=body, headers=org.headers)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "credentials.secret_key"
        assert "publishable" in refused.json()["detail"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"provider": "paypal"}, "provider"),
            ({"credentials": {"secret_key": "sk_test_abcdefgh"}}, "credentials.webhook_secret"),
            (
                {"credentials": {"secret_key": "sk_test_abcdefgh", "webhook_secret": "nope"}},
                "credentials.webhook_secret",
            ),
            (
                {
                    "credentials": {
                        "secret_key": "sk_test_abcdefgh",
                        "webhook_secret": "whsec_x1",
                        "password": "x",
                    }
                },
                "credentials.password",
            ),
            ({"settings": {"multicapture": "sometimes"}}, "settings.multicapture"),
        ],
    )
    async def test_bad_accounts_are_refused(
        self, org: Org, client: httpx.AsyncClient, change: dict[str, Any], field: str
    ) -> None:
        body = {
            "code": "s1",
            "provider": "stripe",
            "credentials": {"secret_key": "sk_test_abcdefgh", "webhook_secret": "whsec_x1"},
            **change,
        }
        refused = await client.post("/v1/payment-accounts", json=body, headers=org.headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
        listed = await client.get("/v1/payment-accounts", headers=org.headers)
        assert listed.json() == []

    async def test_secrets_go_in_and_never_come_out(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        account = await stripe_shop(client, db, org, stripe)
        listed = await client.get("/v1/payment-accounts", headers=org.headers)

        assert listed.status_code == 200
        [shown] = listed.json()
        assert shown == account
        assert shown["code"] == ACCOUNT
        assert shown["credentials_set"] == ["secret_key", "webhook_secret"]
        base = settings.public_url.rstrip("/")
        assert shown["webhook_url"] == f"{base}/hooks/payments/stripe/{shown['id']}"
        for answer in (listed.text, str(account)):
            assert stripe.secret_key not in answer and WEBHOOK_SECRET not in answer

    async def test_the_same_code_replaces_the_account(
        self, db: Database, org: Org, client: httpx.AsyncClient, stripe: FakeStripe
    ) -> None:
        first = await stripe_shop(client, db, org, stripe)
        body = {
            "code": ACCOUNT,
            "provider": "stripe",
            "credentials": {"secret_key": "rk_test_restricted1", "webhook_secret": "whsec_new1"},
            "settings": {"multicapture": True},
        }
        again = await client.post("/v1/payment-accounts", json=body, headers=org.headers)

        assert again.status_code == 200, again.text
        assert again.json()["id"] == first["id"]
        assert again.json()["settings"] == {"multicapture": True}

    async def test_only_who_may_change_settings_connects_an_account(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        viewer = await key_for(db, org, Role.VIEWER)
        body = {
            "code": "s1",
            "provider": "stripe",
            "credentials": {"secret_key": "sk_test_abcdefgh", "webhook_secret": "whsec_x1"},
        }
        refused = await client.post("/v1/payment-accounts", json=body, headers=viewer)
        assert refused.status_code == 403
