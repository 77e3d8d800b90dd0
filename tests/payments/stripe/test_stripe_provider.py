"""Stripe behind the payment provider port: an order of a channel paid through a Stripe account
is captured at shipment by the job (once, or shipment by shipment with multicapture), voided at
cancellation and refunded, all against the strict fake Stripe."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.payments import lifecycle
from orderly.payments.base import ProviderAccount
from orderly.payments.providers.stripe import CancellationReason, StripePayments
from orderly.payments.providers.stripe.errors import StripeUnavailable
from orderly.payments.providers.stripe.provider import (
    PaymentAccountRequired,
    StripeProvider,
    use_stripe_transport,
)
from orderly.payments.registry import payment_provider
from orderly.settings import Settings
from tests.clock import MovableClock
from tests.factories import Org, order_view
from tests.payments.stripe.conftest import FAKE_BASE
from tests.payments.stripe.fake import AUTHORIZATION_SECONDS, FakeStripe
from tests.payments.stripe.shop import TOTAL_MINOR, place_paid, run_pending, stripe_shop
from tests.payments.test_payment_lifecycle import _events, _pending, _ship_from
from tests.transports import TimingOut

pytestmark = pytest.mark.usefixtures("stripe_accounts")


@pytest.fixture
async def dashboard(stripe: FakeStripe) -> AsyncIterator[StripePayments]:
    """What a person does in Stripe's Dashboard, on the same account."""
    async with StripePayments(
        stripe.secret_key, base_url=FAKE_BASE, transport=stripe.transport
    ) as client:
        yield client


def _capture_posts(stripe: FakeStripe, intent: str) -> int:
    path = f"/v1/payment_intents/{intent}/capture"
    return sum(1 for method, p, _ in stripe.requests if (method, p) == ("POST", path))


class TestCaptureAtShipment:
    async def test_a_single_capture_takes_the_first_shipment_and_releases_the_rest(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        assert placed["payments"][0]["provider"] == "stripe"

        await _ship_from(db, org, placed["id"], "WH1")
        assert stripe.captures_of(intent) == 0  # the job calls Stripe, not the shipment
        assert await run_pending(db, settings, placed["id"]) == ["succeeded"]

        assert stripe.intents[intent].status == "succeeded"
        assert stripe.intents[intent].amount_received == 2499
        shipped = await order_view(db, org, placed["id"])
        assert shipped["payments"][0]["status"] == "captured"
        assert shipped["payments"][0]["captured"] == "24.99"

        await _ship_from(db, org, placed["id"], "WH2")
        assert await _pending(db, placed["id"]) == []
        # Stripe would refuse a second capture: it was never asked for one.
        assert _capture_posts(stripe, intent) == 1
        events = await _events(db, org, placed["id"])
        [short] = [e for e in events if e["type"] == "payment.uncollected"]
        assert short["data"]["amount"] == "19.99"

    async def test_multicapture_captures_each_shipment(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        await stripe_shop(client, db, org, stripe, multicapture=True)
        intent = stripe.create_intent(TOTAL_MINOR, multicapture=True)
        placed = await place_paid(db, org, intent)

        await _ship_from(db, org, placed["id"], "WH1")
        await run_pending(db, settings, placed["id"])
        assert stripe.intents[intent].status == "requires_capture"
        assert stripe.intents[intent].amount_capturable == TOTAL_MINOR - 2499
        half = await order_view(db, org, placed["id"])
        assert half["payments"][0]["status"] == "partially_captured"

        await _ship_from(db, org, placed["id"], "WH2")
        await run_pending(db, settings, placed["id"])
        assert stripe.captures_of(intent) == 2
        assert stripe.intents[intent].status == "succeeded"
        assert stripe.intents[intent].amount_received == TOTAL_MINOR
        whole = await order_view(db, org, placed["id"])
        assert whole["payment"]["status"] == "captured"
        assert whole["payment"]["captured"] == "44.98"

    async def test_a_card_stripe_did_not_grant_multicapture_is_captured_once(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        await stripe_shop(client, db, org, stripe, multicapture=True)
        intent = stripe.create_intent(TOTAL_MINOR, multicapture=False)
        placed = await place_paid(db, org, intent)

        await _ship_from(db, org, placed["id"], "WH1")
        assert await run_pending(db, settings, placed["id"]) == ["succeeded"]

        shipped = await order_view(db, org, placed["id"])
        assert shipped["payments"][0]["status"] == "captured"  # the rest was released
        assert shipped["payments"][0]["multicapture"] is False
        await _ship_from(db, org, placed["id"], "WH2")
        assert await _pending(db, placed["id"]) == []
        assert _capture_posts(stripe, intent) == 1

    async def test_an_answer_lost_on_the_way_is_asked_again_and_captures_once(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        wire = TimingOut(stripe.transport)
        use_stripe_transport(wire)
        await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await _ship_from(db, org, placed["id"], "WH1")

        wire.lose_next_answers(2)  # the intent read, then the capture itself
        assert await run_pending(db, settings, placed["id"]) == ["succeeded"]

        assert stripe.captures_of(intent) == 1
        assert (await order_view(db, org, placed["id"]))["payments"][0]["captured"] == "24.99"

    async def test_stripe_down_leaves_the_capture_to_a_retry_of_the_job(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await _ship_from(db, org, placed["id"], "WH1")
        [operation_id] = await _pending(db, placed["id"])

        stripe.fail_next(4, status=503, path=f"/v1/payment_intents/{intent}")
        with pytest.raises(StripeUnavailable):
            await lifecycle.run_operation(db, vault_for(settings), operation_id)
        assert await _pending(db, placed["id"]) == [operation_id]
        assert (await order_view(db, org, placed["id"]))["payments"][0]["captured"] == "0.00"

        assert await lifecycle.run_operation(db, vault_for(settings), operation_id) == "succeeded"
        assert stripe.captures_of(intent) == 1

    async def test_an_authorization_that_expired_is_declined_and_flagged(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
        clock: MovableClock,
    ) -> None:
        await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await _ship_from(db, org, placed["id"], "WH1")

        clock.advance(AUTHORIZATION_SECONDS + 60)
        assert await run_pending(db, settings, placed["id"]) == ["declined"]

        assert _capture_posts(stripe, intent) == 0
        payment = (await order_view(db, org, placed["id"]))["payments"][0]
        assert payment["captured"] == "0.00"
        assert "expired" in payment["problem"]


class TestCancel:
    async def test_a_cancelled_order_cancels_the_payment_intent(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)

        cancelled = await client.post(
            f"/v1/orders/{placed['id']}/cancel",
            json={"reason": "changed mind"},
            headers=org.headers,
        )
        assert cancelled.status_code == 200, cancelled.text
        assert await run_pending(db, settings, placed["id"]) == ["succeeded"]

        assert stripe.intents[intent].status == "canceled"
        assert stripe.intents[intent].cancellation_reason == "requested_by_customer"
        assert (await order_view(db, org, placed["id"]))["payment"]["status"] == "voided"

    async def test_an_intent_already_cancelled_in_stripe_is_voided_all_the_same(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
        dashboard: StripePayments,
    ) -> None:
        await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await dashboard.cancel(intent, reason=CancellationReason.ABANDONED, idempotency_key="d-1")

        await client.post(
            f"/v1/orders/{placed['id']}/cancel", json={"reason": "gone"}, headers=org.headers
        )
        assert await run_pending(db, settings, placed["id"]) == ["succeeded"]

        after = await order_view(db, org, placed["id"])
        assert after["payment"]["status"] == "voided"
        assert after["payments"][0]["problem"] is None


class TestRefund:
    async def test_a_refund_is_sent_to_stripe_by_the_job(
        self,
        db: Database,
        org: Org,
        client: httpx.AsyncClient,
        settings: Settings,
        stripe: FakeStripe,
    ) -> None:
        await stripe_shop(client, db, org, stripe)
        intent = stripe.create_intent(TOTAL_MINOR)
        placed = await place_paid(db, org, intent)
        await _ship_from(db, org, placed["id"], "WH1")
        await run_pending(db, settings, placed["id"])

        path = f"/v1/orders/{placed['id']}/refunds"
        refund = await client.post(path, json={"amount": "4.00"}, headers=org.headers)
        assert refund.status_code == 201, refund.text
        assert refund.json()["status"] == "pending"
        assert await run_pending(db, settings, placed["id"]) == ["succeeded"]

        [made] = stripe.refunds.values()
        assert (made.intent, made.amount) == (intent, 400)
        [listed] = (await client.get(path, headers=org.headers)).json()
        assert listed["status"] == "succeeded"
        assert listed["provider_reference"] == made.id
        assert (await order_view(db, org, placed["id"]))["payments"][0]["refunded"] == "4.00"


class TestTheAdapter:
    def test_stripe_is_reached_only_through_an_account(self) -> None:
        with pytest.raises(PaymentAccountRequired, match="payment account"):
            payment_provider("stripe")

    async def test_an_authorization_cannot_be_renewed(self, stripe: FakeStripe) -> None:
        account = ProviderAccount(1, "s", {"secret_key": stripe.secret_key}, {})
        provider = StripeProvider(account, transport=stripe.transport)

        renewed = await provider.reauthorize("pi_x", 100, "USD", "k")

        assert (provider.remote, provider.can_reauthorize, provider.multicapture) == (
            True,
            False,
            False,
        )
        assert renewed.succeeded is False
        assert "ask the customer" in (renewed.failure_reason or "")
