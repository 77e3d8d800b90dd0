"""Pure rules: the retry schedule, signatures, event subscriptions, event -> message kind."""

from __future__ import annotations

import itertools
from datetime import timedelta

from orderly.notifications.domain import (
    WEBHOOK_MAX_ATTEMPTS,
    NotificationKind,
    kind_of_event,
    signature,
    subscribed,
    verify_signature,
    webhook_retry_delay,
)


class TestRetrySchedule:
    def test_at_least_eight_attempts_over_at_least_four_hours(self) -> None:
        delays = [webhook_retry_delay(n) for n in range(1, WEBHOOK_MAX_ATTEMPTS)]
        assert delays == [
            timedelta(minutes=1),
            timedelta(minutes=5),
            timedelta(minutes=15),
            timedelta(minutes=30),
            timedelta(hours=1),
            timedelta(hours=2),
            timedelta(hours=4),
            timedelta(hours=8),
        ]
        assert WEBHOOK_MAX_ATTEMPTS >= 8
        assert sum(delays, timedelta()) >= timedelta(hours=4)  # type: ignore[arg-type]

    def test_each_wait_is_longer_and_the_last_attempt_has_none(self) -> None:
        delays = [webhook_retry_delay(n) for n in range(1, WEBHOOK_MAX_ATTEMPTS)]
        assert all(a < b for a, b in itertools.pairwise(delays))  # type: ignore[operator]
        assert webhook_retry_delay(WEBHOOK_MAX_ATTEMPTS) is None
        assert webhook_retry_delay(0) is None


class TestSignature:
    def test_the_receiver_verifies_what_was_signed(self) -> None:
        body = b'{"id":"42","type":"order.shipped"}'
        header = signature("whsec_abc", 1_700_000_000, body)
        assert header.startswith("t=1700000000,v1=")
        assert verify_signature("whsec_abc", header, body, now=1_700_000_100)

    def test_tampering_a_wrong_secret_or_an_old_timestamp_fail(self) -> None:
        body = b'{"id":"42"}'
        header = signature("whsec_abc", 1_700_000_000, body)
        assert not verify_signature("whsec_abc", header, body + b" ", now=1_700_000_000)
        assert not verify_signature("whsec_xyz", header, body, now=1_700_000_000)
        assert not verify_signature("whsec_abc", header, body, now=1_700_001_000)
        assert not verify_signature("whsec_abc", "garbage", body, now=1_700_000_000)


class TestEventsToMessages:
    def test_subscriptions_by_type_family_or_everything(self) -> None:
        assert subscribed(["order.shipped"], "order.shipped")
        assert subscribed(["order.*"], "order.delivered")
        assert subscribed(["*"], "fulfillment.picking")
        assert not subscribed(["order.*"], "fulfillment.shipped")

    def test_kinds(self) -> None:
        assert kind_of_event("order.allocated") is NotificationKind.ORDER_CONFIRMED
        assert kind_of_event("order.backordered") is NotificationKind.ORDER_CONFIRMED
        assert kind_of_event("fulfillment.shipped") is NotificationKind.SHIPPED
        assert kind_of_event("fulfillment.ready_for_pickup") is NotificationKind.READY_FOR_PICKUP
        assert kind_of_event("return.authorized") is NotificationKind.RETURN_AUTHORIZED
        assert kind_of_event("refund.issued") is NotificationKind.REFUND_ISSUED
        assert kind_of_event("order.on_hold") is None
