"""The Stripe connector against a fake Stripe that answers as Stripe's specification and
documents say: captures (single and per shipment), cancellations, refunds, idempotent retries,
rate limits and outages, the authorization window, and webhook signatures."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from orderly.kit.errors import InvalidInput
from orderly.payments.errors import RefundExceedsCaptured
from orderly.payments.providers.stripe import (
    CancellationReason,
    IntentStatus,
    StripePayments,
    verify_webhook,
)
from orderly.payments.providers.stripe.errors import (
    AuthorizationExpired,
    CaptureExceedsCapturable,
    IdempotencyKeyReused,
    MulticaptureUnavailable,
    PaymentDeclined,
    PaymentNotFound,
    PaymentStateConflict,
    StripeAccountInvalid,
    StripeCredentialsRefused,
    StripeSignatureInvalid,
    StripeUnavailable,
)
from tests.clock import MovableClock
from tests.payments.stripe.conftest import FAKE_BASE
from tests.payments.stripe.fake import (
    AUTHORIZATION_SECONDS,
    EPOCH,
    FakeStripe,
    event_payload,
    sign_event,
)
from tests.transports import TimingOut

WEBHOOK_SECRET = "whsec_test_5Wq2FakeOrderlySigningSecret"


class TestSingleCapture:
    async def test_capturing_part_of_the_amount_releases_the_rest(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000, "eur")

        captured = await payments.capture(intent, 6_000, final=True, idempotency_key="cap-1")

        assert captured.status == IntentStatus.SUCCEEDED
        assert (captured.amount_received, captured.amount_capturable) == (6_000, 0)
        assert captured.currency == "EUR"
        again = await payments.retrieve(intent)
        assert (again.status, again.amount_received, again.amount_capturable) == (
            "succeeded",
            6_000,
            0,
        )

    async def test_a_second_capture_is_refused(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        await payments.capture(intent, 6_000, final=True, idempotency_key="cap-1")

        with pytest.raises(PaymentStateConflict) as refused:
            await payments.capture(intent, 4_000, final=True, idempotency_key="cap-2")

        assert refused.value.extra["vendor_code"] == "payment_intent_unexpected_state"
        assert stripe.captures_of(intent) == 1
        assert (await payments.retrieve(intent)).amount_received == 6_000

    async def test_a_capture_that_is_not_the_last_needs_multicapture(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)

        with pytest.raises(MulticaptureUnavailable):
            await payments.capture(intent, 3_000, final=False, idempotency_key="cap-1")

        assert stripe.captures_of(intent) == 0
        assert (await payments.retrieve(intent)).amount_capturable == 10_000

    async def test_more_than_authorized_is_refused(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)

        with pytest.raises(CaptureExceedsCapturable) as refused:
            await payments.capture(intent, 10_001, final=True, idempotency_key="cap-1")

        assert refused.value.field == "amount"
        assert (await payments.retrieve(intent)).status == IntentStatus.REQUIRES_CAPTURE

    async def test_an_amount_below_one_is_refused_before_calling_stripe(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)

        with pytest.raises(InvalidInput):
            await payments.capture(intent, 0, final=True, idempotency_key="cap-1")

        assert stripe.requests == []

    async def test_an_unknown_payment_intent_is_not_found(self, payments: StripePayments) -> None:
        with pytest.raises(PaymentNotFound):
            await payments.retrieve("pi_doesnotexist")


class TestMulticapture:
    async def test_one_capture_per_shipment_then_a_final_one(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000, multicapture=True)
        assert (await payments.retrieve(intent)).multicapture_available

        first = await payments.capture(intent, 3_000, final=False, idempotency_key="ship-1")
        second = await payments.capture(intent, 2_500, final=False, idempotency_key="ship-2")
        last = await payments.capture(intent, 4_000, final=True, idempotency_key="ship-3")

        assert (first.status, first.amount_received, first.amount_capturable) == (
            "requires_capture",
            3_000,
            7_000,
        )
        assert (second.amount_received, second.amount_capturable) == (5_500, 4_500)
        # The last 500 of the authorization are released with the final capture.
        assert (last.status, last.amount_received, last.amount_capturable) == (
            "succeeded",
            9_500,
            0,
        )
        assert stripe.captures_of(intent) == 3

    async def test_a_single_capture_intent_says_it_has_no_multicapture(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = await payments.retrieve(stripe.create_intent(10_000))

        assert not intent.multicapture_available


class TestCancel:
    async def test_cancelling_releases_the_authorization(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)

        canceled = await payments.cancel(
            intent, reason=CancellationReason.REQUESTED_BY_CUSTOMER, idempotency_key="void-1"
        )

        assert canceled.status == IntentStatus.CANCELED
        assert canceled.cancellation_reason == "requested_by_customer"
        assert canceled.amount_capturable == 0
        with pytest.raises(PaymentStateConflict):
            await payments.capture(intent, 1_000, final=True, idempotency_key="cap-1")

    @pytest.mark.parametrize("first", ["capture", "cancel"])
    async def test_a_captured_or_cancelled_intent_cannot_be_cancelled(
        self, payments: StripePayments, stripe: FakeStripe, first: str
    ) -> None:
        intent = stripe.create_intent(10_000)
        if first == "capture":
            await payments.capture(intent, 10_000, final=True, idempotency_key="first")
        else:
            await payments.cancel(intent, reason="abandoned", idempotency_key="first")

        with pytest.raises(PaymentStateConflict):
            await payments.cancel(intent, reason="abandoned", idempotency_key="second")

        assert (await payments.retrieve(intent)).amount_received == (
            10_000 if first == "capture" else 0
        )

    async def test_a_reason_stripe_does_not_take_is_refused_before_calling(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)

        with pytest.raises(InvalidInput) as refused:
            await payments.cancel(intent, reason="changed_mind", idempotency_key="void-1")

        assert refused.value.field == "reason"
        assert stripe.requests == []


class TestRefunds:
    async def test_partial_then_full_refund(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        await payments.capture(intent, 8_000, final=True, idempotency_key="cap-1")

        part = await payments.refund(intent, 3_000, idempotency_key="ref-1")
        rest = await payments.refund(intent, 5_000, idempotency_key="ref-2")

        assert (part.amount, part.status, part.accepted) == (3_000, "succeeded", True)
        assert part.payment_intent_id == intent
        assert rest.amount == 5_000 and rest.id != part.id
        assert (await payments.retrieve(intent)).amount_refunded == 8_000
        with pytest.raises(RefundExceedsCaptured):
            await payments.refund(intent, 1, idempotency_key="ref-3")

    async def test_a_refund_above_the_captured_amount_is_refused(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        await payments.capture(intent, 5_000, final=True, idempotency_key="cap-1")

        with pytest.raises(RefundExceedsCaptured) as refused:
            await payments.refund(intent, 6_000, idempotency_key="ref-1")

        assert refused.value.field == "amount"
        assert stripe.refunds == {}
        assert (await payments.retrieve(intent)).amount_refunded == 0


class TestIdempotentRetries:
    async def test_a_lost_answer_is_retried_with_the_same_key_and_captures_once(
        self, payments: StripePayments, stripe: FakeStripe, wire: TimingOut
    ) -> None:
        intent = stripe.create_intent(10_000)
        wire.lose_next_answers(1)

        captured = await payments.capture(intent, 7_000, final=True, idempotency_key="cap-1")

        assert captured.amount_received == 7_000
        assert stripe.captures_of(intent) == 1
        sent = [r for r in stripe.requests if r[1].endswith("/capture")]
        assert [key for _, _, key in sent] == ["cap-1", "cap-1"]

    async def test_the_same_key_for_another_amount_is_refused(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        await payments.capture(intent, 4_000, final=True, idempotency_key="cap-1")

        with pytest.raises(IdempotencyKeyReused):
            await payments.capture(intent, 5_000, final=True, idempotency_key="cap-1")

        assert stripe.captures_of(intent) == 1

    async def test_the_same_key_for_the_same_refund_answers_the_first_refund(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        await payments.capture(intent, 10_000, final=True, idempotency_key="cap-1")

        first = await payments.refund(intent, 2_000, idempotency_key="ref-1")
        again = await payments.refund(intent, 2_000, idempotency_key="ref-1")

        assert again.id == first.id
        assert len(stripe.refunds) == 1
        assert (await payments.retrieve(intent)).amount_refunded == 2_000

    async def test_every_post_carries_its_key_and_a_form_body(
        self, stripe: FakeStripe, clock: MovableClock
    ) -> None:
        seen: list[httpx.Request] = []

        async def spy(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return await stripe.handle(request)

        intent = stripe.create_intent(10_000)
        transport = httpx.MockTransport(spy)
        async with StripePayments(stripe.secret_key, base_url=FAKE_BASE, transport=transport) as p:
            await p.capture(intent, 1_000, final=True, idempotency_key="cap-1")

        (request,) = seen
        assert request.headers["authorization"] == f"Bearer {stripe.secret_key}"
        assert request.headers["idempotency-key"] == "cap-1"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert b"amount_to_capture=1000" in request.content
        assert b"final_capture" not in request.content


class TestStripeUnavailable:
    async def test_rate_limited_then_answered(
        self, payments: StripePayments, stripe: FakeStripe, clock: MovableClock
    ) -> None:
        intent = stripe.create_intent(10_000)
        stripe.throttle_next(3)

        captured = await payments.capture(intent, 10_000, final=True, idempotency_key="cap-1")

        assert captured.status == IntentStatus.SUCCEEDED
        assert stripe.captures_of(intent) == 1
        waits = [wait for wait in clock.slept if wait > 0]
        # Stripe sends no Retry-After: the waits grow, with jitter.
        assert len(waits) == 3 and waits[0] < waits[2]

    async def test_a_retry_after_stripe_sends_is_waited_out(
        self, payments: StripePayments, stripe: FakeStripe, clock: MovableClock
    ) -> None:
        intent = stripe.create_intent(10_000)
        stripe.throttle_next(1, retry_after=7)

        await payments.retrieve(intent)

        assert [wait for wait in clock.slept if wait > 0] == [7.0]

    async def test_5xx_after_the_retries_is_unavailable(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        stripe.fail_next(10, status=503)

        with pytest.raises(StripeUnavailable):
            await payments.capture(intent, 10_000, final=True, idempotency_key="cap-1")

        assert len(stripe.requests) == payments.api.retry.attempts
        assert stripe.captures_of(intent) == 0

    async def test_a_5xx_stripe_says_not_to_retry_is_not_retried(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        stripe.fail_next(1, status=500, should_retry=False)

        with pytest.raises(StripeUnavailable):
            await payments.capture(intent, 10_000, final=True, idempotency_key="cap-1")

        assert len(stripe.requests) == 1

    async def test_timeouts_after_the_retries_are_unavailable(
        self, payments: StripePayments, stripe: FakeStripe, wire: TimingOut
    ) -> None:
        intent = stripe.create_intent(10_000)
        wire.time_out_next(10)

        with pytest.raises(StripeUnavailable):
            await payments.retrieve(intent)

    async def test_a_wrong_secret_key_is_refused(self, stripe: FakeStripe, wire: TimingOut) -> None:
        intent = stripe.create_intent(10_000)
        async with StripePayments(
            "sk_test_notTheAccountsKey123", base_url=FAKE_BASE, transport=wire
        ) as wrong:
            with pytest.raises(StripeCredentialsRefused) as refused:
                await wrong.retrieve(intent)

        assert refused.value.extra["vendor_status"] == 401
        assert "notTheAccountsKey" not in refused.value.detail

    def test_a_key_that_is_not_a_secret_key_is_refused(self) -> None:
        with pytest.raises(StripeAccountInvalid):
            StripePayments("pk_test_publishableKey")

    async def test_a_card_error_is_a_decline_with_its_reason(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = stripe.create_intent(10_000)
        stripe.fail_next(
            1,
            status=402,
            error_object={
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            },
        )

        with pytest.raises(PaymentDeclined) as declined:
            await payments.capture(intent, 10_000, final=True, idempotency_key="cap-1")

        assert declined.value.extra["decline_code"] == "insufficient_funds"
        assert "insufficient funds" in declined.value.detail


class TestAuthorizationWindow:
    async def test_the_intent_says_when_its_authorization_runs_out(
        self, payments: StripePayments, stripe: FakeStripe
    ) -> None:
        intent = await payments.retrieve(stripe.create_intent(10_000))

        assert intent.authorization_expires_at == datetime.fromtimestamp(
            EPOCH + AUTHORIZATION_SECONDS, UTC
        )
        soon = datetime.fromtimestamp(EPOCH + AUTHORIZATION_SECONDS - 3600, UTC)
        assert intent.expires_within(24 * 3600, now=soon)
        assert not payments.can_reauthorize

    async def test_a_capture_after_the_authorization_ran_out_is_refused(
        self, payments: StripePayments, stripe: FakeStripe, clock: MovableClock
    ) -> None:
        intent = stripe.create_intent(10_000)
        clock.advance(AUTHORIZATION_SECONDS + 1)

        with pytest.raises(AuthorizationExpired):
            await payments.capture(intent, 10_000, final=True, idempotency_key="cap-1")

        after = await payments.retrieve(intent)
        assert after.authorization_expired
        assert (after.status, after.amount_received) == ("canceled", 0)

    async def test_a_capture_just_before_the_window_closes_goes_through(
        self, payments: StripePayments, stripe: FakeStripe, clock: MovableClock
    ) -> None:
        intent = stripe.create_intent(10_000)
        clock.advance(AUTHORIZATION_SECONDS - 60)

        captured = await payments.capture(intent, 10_000, final=True, idempotency_key="cap-1")

        assert captured.status == IntentStatus.SUCCEEDED


class TestWebhookSignature:
    NOW = float(EPOCH)

    def test_a_good_signature_gives_the_event(self) -> None:
        payload = event_payload("evt_123")
        header = sign_event(payload, WEBHOOK_SECRET, EPOCH)

        event = verify_webhook(payload, header, WEBHOOK_SECRET, now=self.NOW)

        assert (event["id"], event["type"]) == ("evt_123", "charge.captured")

    def test_the_connector_verifies_the_same_way(self) -> None:
        payload = event_payload("evt_9")
        header = sign_event(payload, WEBHOOK_SECRET, EPOCH)

        event = StripePayments.verify_webhook(payload, header, WEBHOOK_SECRET, now=self.NOW)

        assert event["id"] == "evt_9"

    @pytest.mark.parametrize(
        ("secret", "body"),
        [
            ("whsec_someoneElsesSecret", None),  # signed with another secret
            (WEBHOOK_SECRET, event_payload("evt_forged")),  # the body was changed
        ],
    )
    def test_a_bad_signature_is_refused(self, secret: str, body: bytes | None) -> None:
        payload = event_payload("evt_123")
        header = sign_event(payload, secret, EPOCH)

        with pytest.raises(StripeSignatureInvalid, match="matches"):
            verify_webhook(body or payload, header, WEBHOOK_SECRET, now=self.NOW)

    def test_a_stale_signature_is_refused(self) -> None:
        payload = event_payload()
        header = sign_event(payload, WEBHOOK_SECRET, EPOCH)

        verify_webhook(payload, header, WEBHOOK_SECRET, now=self.NOW + 300)
        with pytest.raises(StripeSignatureInvalid, match="timestamp"):
            verify_webhook(payload, header, WEBHOOK_SECRET, now=self.NOW + 301)
        with pytest.raises(StripeSignatureInvalid, match="timestamp"):
            verify_webhook(
                payload, header, WEBHOOK_SECRET, now=self.NOW + 600, tolerance_seconds=599
            )

    @pytest.mark.parametrize(
        "header",
        [None, "", "   ", "garbage", "t=abc,v1=00", "v1=00", f"t={EPOCH}", f"t={EPOCH},v0=00"],
    )
    def test_a_missing_or_malformed_signature_is_refused(self, header: str | None) -> None:
        with pytest.raises(StripeSignatureInvalid):
            verify_webhook(event_payload(), header, WEBHOOK_SECRET, now=self.NOW)

    def test_one_matching_v1_among_several_is_enough(self) -> None:
        payload = event_payload("evt_roll")
        old_secret = sign_event(payload, "whsec_oldSecretBeingRolled", EPOCH).split(",")[1]
        header = sign_event(payload, WEBHOOK_SECRET, EPOCH, extra=("v0=deadbeef",))
        rolled = ",".join([f"t={EPOCH}", old_secret, header.split(",")[1], "v0=deadbeef"])

        assert verify_webhook(payload, rolled, WEBHOOK_SECRET, now=self.NOW)["id"] == "evt_roll"
        only_old = f"t={EPOCH},{old_secret}"
        with pytest.raises(StripeSignatureInvalid):
            verify_webhook(payload, only_old, WEBHOOK_SECRET, now=self.NOW)


class TestTheFakeIsStrict:
    """The fake refuses what Stripe refuses, so the connector cannot pass by sending what Stripe
    would not take."""

    async def test_a_json_body_is_refused(self, stripe: FakeStripe) -> None:
        intent = stripe.create_intent(10_000)
        async with httpx.AsyncClient(transport=stripe.transport, base_url=FAKE_BASE) as client:
            answer = await client.post(
                f"/v1/payment_intents/{intent}/capture",
                json={"amount_to_capture": 1_000},
                headers={"Authorization": f"Bearer {stripe.secret_key}"},
            )

        assert answer.status_code == 400
        assert stripe.captures_of(intent) == 0

    async def test_no_key_is_refused(self, stripe: FakeStripe) -> None:
        intent = stripe.create_intent(10_000)
        async with httpx.AsyncClient(transport=stripe.transport, base_url=FAKE_BASE) as client:
            answer = await client.get(f"/v1/payment_intents/{intent}")

        assert answer.status_code == 401
        assert answer.json()["error"]["type"] == "invalid_request_error"

    async def test_an_unknown_parameter_is_refused(self, stripe: FakeStripe) -> None:
        intent = stripe.create_intent(10_000)
        async with httpx.AsyncClient(transport=stripe.transport, base_url=FAKE_BASE) as client:
            answer = await client.post(
                f"/v1/payment_intents/{intent}/capture",
                data={"amount": "1000"},
                headers={"Authorization": f"Bearer {stripe.secret_key}"},
            )

        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "parameter_unknown"
