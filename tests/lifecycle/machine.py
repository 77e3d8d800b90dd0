"""The order lifecycle as a Hypothesis state machine: random interleavings of orders,
fulfillment, tracking, returns, money, fraud review and stock, driven over HTTP against the
real application, with every invariant (invariants.py) checked after every step.

A refusal (4xx problem+json) is a legitimate outcome of most rules; a rule asserts success
only where the API promises it. To grow the machine, add a rule here and an invariant there.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from orderly.connections import marketplace_orders
from orderly.connections.port import (
    ChannelOrder,
    ChannelOrderLine,
    PlatformOrderState,
    PlatformPaymentStatus,
)
from orderly.kit.errors import OrderlyError
from orderly.order_flows.tasks import expire_uncollected_pickups
from orderly.orders import service as orders_service
from orderly.shipping.domain import TrackingCode
from orderly.shipping.webhooks import sign
from tests.factories import CITIES, SHIPPING_ADDRESS
from tests.lifecycle.answers import IdempotencyKeys, WrongAnswer, check_answer
from tests.lifecycle.driver import MOVING_ORDER, TRACKING_NUMBERS, Driver, Harness
from tests.lifecycle.invariants import broken_invariants
from tests.lifecycle.world import (
    CUSTOMER_EMAIL,
    SKUS,
    SUSPICIOUS_BILLING,
    build_world,
)

# How an order is captured: its channel, delivery and payment.
CAPTURE_KINDS = ("ship", "pickup", "store_credit", "backorder", "cancel_line")
CHANNELS = {"backorder": "b2b", "cancel_line": "app"}
STOCKED = ("WH1", "WH2", "ST1")
RECEIVING = (None, "WH1", "ST1", "WH2")
# A few keys, so that a key is sometimes sent again, to the same request or another.
KEYS = st.sampled_from([None, "key-1", "key-2"])
# Which fulfillment order or parcel, newest first; the newest is picked half the time, so that
# one of them often goes the whole way.
PICK = st.one_of(st.just(0), st.integers(min_value=0, max_value=15))
UNIT_PRICE_MINOR = 1999

orders = Bundle("orders")
returns = Bundle("returns")
# An order of the bundle, or the one whose fulfillment is moving: the order of the newest
# fulfillment order (steps like hold, cancel or a return then meet orders part-way through).
MOVING = "moving"
AN_ORDER = st.one_of(st.just(MOVING), orders)


class LifecycleMachine(Driver, RuleBasedStateMachine):
    """Orders and returns live in bundles; fulfillment orders and parcels, which the
    application opens by itself, are picked among those of the organization."""

    def __init__(self) -> None:
        super().__init__()
        self.world = self.run(build_world(self.harness.client, self.harness.db))
        self.keys = IdempotencyKeys()
        self.authorized_orders: list[int] = []
        self.card_captured_orders: set[int] = set()
        self.pickup_codes: dict[int, str] = {}
        self.worker_seen_job = 0

    # --- orders -------------------------------------------------------------------------

    @rule(
        target=orders,
        kind=st.sampled_from(CAPTURE_KINDS),
        mugs=st.integers(0, 4),
        hats=st.integers(0, 3),
        card_captured=st.booleans(),
        suspicious=st.booleans(),
    )
    def capture(
        self, kind: str, mugs: int, hats: int, card_captured: bool, suspicious: bool
    ) -> Any:
        units = [(s, q) for s, q in zip(SKUS, (mugs, hats), strict=True) if q] or [("MUG", 1)]
        total = sum(q for _, q in units) * UNIT_PRICE_MINOR
        amount = f"{total // 100}.{total % 100:02d}"
        body: dict[str, Any] = {
            "channel": CHANNELS.get(kind, "web"),
            "currency": "USD",
            "customer": {"email": CUSTOMER_EMAIL, "name": "Ann"},
            "shipping_address": SHIPPING_ADDRESS,
            "lines": [{"sku": s, "quantity": q, "unit_price": "19.99"} for s, q in units],
            "payment": {
                "status": "captured" if card_captured else "authorized",
                "amount": amount,
            },
        }
        if kind == "pickup":
            body.update(delivery_method="pickup", pickup_location="ST1")
        if kind == "store_credit":
            body["payment"] = {"status": "captured", "method": "store_credit", "amount": amount}
        if suspicious:
            body["billing_address"] = SUSPICIOUS_BILLING
        response = self.call("POST", "/v1/orders", body)
        if response.status_code != 201:
            return multiple()
        order_id = int(response.json()["id"])
        if kind != "store_credit":
            if card_captured:
                self.card_captured_orders.add(order_id)
            else:
                self.authorized_orders.append(order_id)
        return order_id

    @rule(order=AN_ORDER)
    def hold(self, order: int | str) -> None:
        if order_id := self.resolve(order):
            self.call("POST", f"/v1/orders/{order_id}/hold", {"reason": "customer called"})

    @rule(order=AN_ORDER)
    def release(self, order: int | str) -> None:
        if order_id := self.resolve(order):
            self.call("POST", f"/v1/orders/{order_id}/release", {})

    @rule(order=AN_ORDER)
    def cancel(self, order: int | str) -> None:
        if order_id := self.resolve(order):
            reason = {"reason": "customer changed their mind"}
            self.call("POST", f"/v1/orders/{order_id}/cancel", reason)

    @rule(order=AN_ORDER, city=st.sampled_from(["Boston", "Chicago"]))
    def edit_address(self, order: int | str, city: str) -> None:
        """The dashboard's address edit, through the orders service it calls."""
        order_id = self.resolve(order)
        if order_id is None:
            return
        postal, lat, lon = CITIES[city]
        address = {
            **SHIPPING_ADDRESS,
            "city": city,
            "postal_code": postal,
            "latitude": lat,
            "longitude": lon,
        }

        async def edit() -> None:
            try:
                async with self.harness.db.transaction() as transaction:
                    conn = transaction.connection
                    await orders_service.edit_shipping_address(
                        conn, self.world.principal, order_id, address
                    )
            except OrderlyError as refused:
                if refused.status >= 500:
                    raise WrongAnswer(f"address edit failed with {refused!r}") from refused

        self.run(edit())

    @rule(mugs=st.integers(1, 3), n=st.integers(0, 10**6))
    def marketplace_ships_itself(self, mugs: int, n: int) -> None:
        """An order a marketplace shipped from its own stock (Amazon's AFN) is recorded: no
        unit of ours moves, and no order of ours is routed for it."""
        now = datetime.now(UTC)
        shipped = ChannelOrder(
            platform_order_id=f"AFN-{n}-{time.monotonic_ns()}",
            number=f"AFN-{n}",
            currency="USD",
            created_at=now,
            updated_at=now,
            state=PlatformOrderState.COMPLETED,
            payment_status=PlatformPaymentStatus.CAPTURED,
            lines=(ChannelOrderLine("l1", "MUG", mugs, UNIT_PRICE_MINOR),),
            fulfilled_by_platform=True,
        )

        async def record() -> None:
            async with self.harness.db.transaction() as tx:
                await marketplace_orders.record(
                    tx,
                    self.world.principal,
                    channel="web",
                    order=shipped,
                    customer_email=CUSTOMER_EMAIL,
                )

        self.run(record())

    # --- fulfillment --------------------------------------------------------------------

    @rule(pick=PICK)
    def accept(self, pick: int) -> None:
        if fo := self.fulfillment_order(pick):
            self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/accept")

    @rule(
        pick=PICK,
        reason=st.sampled_from(["not_found", "damaged", "no_capacity"]),
        one_unit=st.booleans(),
    )
    def reject(self, pick: int, reason: str, one_unit: bool) -> None:
        if fo := self.fulfillment_order(pick):
            body: dict[str, Any] = {"reason": reason}
            if one_unit:
                body["lines"] = [{"line_no": fo["lines"][0]["line_no"], "quantity": 1}]
            self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/reject", body)

    @rule(pick=PICK, short=st.integers(0, 2))
    def pick_and_confirm(self, pick: int, short: int) -> None:
        if fo := self.fulfillment_order(pick):
            self.pick_units(fo, short)

    @rule(pick=PICK, split=st.booleans(), key=KEYS)
    def pack(self, pick: int, split: bool, key: str | None) -> None:
        if fo := self.fulfillment_order(pick):
            self.pack_parcels(fo, split, key)

    @rule(pick=PICK, first_parcel_only=st.booleans(), key=KEYS)
    def ship(self, pick: int, first_parcel_only: bool, key: str | None) -> None:
        if fo := self.fulfillment_order(pick):
            self.ship_parcels(fo, first_parcel_only, key)

    @rule(pick=PICK)
    def advance(self, pick: int) -> None:
        """The next natural step of a fulfillment order: accept, pick in full, pack one unit
        apart and ship the first parcel, or make a pickup ready and hand it over. Long
        journeys become likely."""
        fo = self.fulfillment_order(pick)
        if fo is None:
            return
        if fo["status"] == "pending":
            self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/accept")
        elif fo["status"] == "accepted":
            self.pick_units(fo, 0)
        elif fo["status"] == "picking" and fo["pickup"]:
            self.make_ready(fo)
        elif fo["status"] == "picking":
            self.pack_parcels(fo, split=True, key=None)
        elif fo["status"] == "packed":
            self.ship_parcels(fo, first_parcel_only=True, key=None)
        elif fo["status"] == "ready_for_pickup" and fo["id"] in self.pickup_codes:
            code = self.pickup_codes[fo["id"]]
            self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/pickup", {"code": code})

    @rule(pick=PICK, code=st.sampled_from(list(TrackingCode)))
    def tracking_event(self, pick: int, code: TrackingCode) -> None:
        """A carrier's news about a parcel: accepted whatever became of the order since."""
        numbers = [r.tracking_number for r in self.sql(TRACKING_NUMBERS)]
        if not numbers:
            return
        event = {
            "tracking_number": numbers[pick % len(numbers)],
            "code": code.value,
            "occurred_at": datetime.now(UTC).isoformat(),
        }
        body = json.dumps({"events": [event]}).encode()
        signature = sign(self.world.tracking_secret, int(time.time()), body)
        response = self.run(
            self.harness.client.post(
                "/v1/tracking/events",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Orderly-Account": self.world.tracking_account,
                    "X-Orderly-Signature": signature,
                },
            )
        )
        check_answer(response)
        if response.status_code >= 300:
            raise WrongAnswer(f"the carrier's {code.value} event was refused: {response.text}")

    @rule(pick=PICK)
    def ready_for_pickup(self, pick: int) -> None:
        if fo := self.fulfillment_order(pick):
            self.make_ready(fo)

    @rule(pick=PICK, right_code=st.booleans())
    def hand_over(self, pick: int, right_code: bool) -> None:
        if fo := self.fulfillment_order(pick):
            code = self.pickup_codes.get(fo["id"], "WRONG123") if right_code else "WRONG123"
            self.call("POST", f"/v1/fulfillment-orders/{fo['id']}/pickup", {"code": code})

    @rule()
    def pickups_expire(self) -> None:
        """The hourly job, a week later: every pickup still waiting expires (the job serves
        every organization; earlier tests' pickups expire too, which changes nothing here)."""

        async def expire() -> None:
            async with self.harness.db.transaction() as transaction:
                conn = transaction.connection
                await expire_uncollected_pickups(conn, datetime.now(UTC) + timedelta(days=8))

        self.run(expire())

    # --- returns and money --------------------------------------------------------------

    @rule(
        target=returns,
        order=AN_ORDER,
        units=st.one_of(st.just(1), st.integers(1, 3)),
        method=st.sampled_from(["ship_back", "in_store"]),
    )
    def request_return(self, order: int | str, units: int, method: str) -> Any:
        order_id = self.resolve(order)
        if order_id is None:
            return multiple()
        line = self.order(order_id)["lines"][0]
        body: dict[str, Any] = {
            "order_id": order_id,
            "lines": [{"line_no": line["line_no"], "quantity": units, "reason": "too_small"}],
            "method": method,
        }
        if method == "in_store":
            body["location"] = "ST1"
        response = self.call("POST", "/v1/returns", body)
        return int(response.json()["id"]) if response.status_code == 201 else multiple()

    @rule(
        ret=returns,
        outcome=st.sampled_from(["restock", "damaged", "dispose"]),
        location=st.sampled_from(RECEIVING),
    )
    def receive_return(self, ret: int, outcome: str, location: str | None) -> None:
        lines = self.call("GET", f"/v1/returns/{ret}").json()["lines"]
        body: dict[str, Any] = {
            "lines": [{"line_no": x["line_no"], outcome: x["quantity"]} for x in lines]
        }
        if location is not None:
            body["location"] = location
        self.call("POST", f"/v1/returns/{ret}/receive", body)

    @rule(
        ret=returns,
        partial=st.booleans(),
        destination=st.sampled_from(["original_payment", "store_credit"]),
        key=KEYS,
    )
    def refund_return(self, ret: int, partial: bool, destination: str, key: str | None) -> None:
        body: dict[str, Any] = {"destination": destination}
        if partial:
            body["amount"] = "5.00"
        self.call("POST", f"/v1/returns/{ret}/refund", body, key=key)

    @rule(ret=returns)
    def exchange(self, ret: int) -> None:
        body = {"lines": [{"sku": "HAT", "quantity": 1, "unit_price": "19.99"}]}
        self.call("POST", f"/v1/returns/{ret}/exchange", body)

    @rule(order=AN_ORDER, partial=st.booleans(), key=KEYS)
    def refund_order(self, order: int | str, partial: bool, key: str | None) -> None:
        """A goodwill refund, on orders whose card payment was captured."""
        order_id = self.resolve(order)
        if order_id not in self.card_captured_orders:
            return
        amount = "5.00" if partial else self.order(order_id)["payment"]["amount"]
        self.call("POST", f"/v1/orders/{order_id}/refunds", {"amount": amount}, key=key)

    def resolve(self, order: int | str) -> int | None:
        if order != MOVING:
            return int(order)
        newest = self.sql(MOVING_ORDER)
        return int(newest[0].order_id) if newest else None

    # --- fraud review -------------------------------------------------------------------

    def in_fraud_review(self, order: int) -> bool:
        current = self.order(order)
        return current["status"] == "on_hold" and "fraud_review" in current["hold_reasons"]

    @rule(order=orders)
    def fraud_approve(self, order: int) -> None:
        expected = self.in_fraud_review(order)
        response = self.call("POST", f"/v1/fraud/review/{order}/approve", {})
        if expected and response.status_code != 200:
            raise WrongAnswer(f"approving an order in review failed: {response.text}")

    @rule(order=orders)
    def fraud_reject(self, order: int) -> None:
        expected = self.in_fraud_review(order)
        response = self.call("POST", f"/v1/fraud/review/{order}/reject", {})
        if expected and response.status_code != 200:
            raise WrongAnswer(f"rejecting an order in review failed: {response.text}")

    # --- stock --------------------------------------------------------------------------

    @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(STOCKED), delta=st.integers(-2, 3))
    def adjust_stock(self, sku: str, location: str, delta: int) -> None:
        if delta == 0:
            return
        reason = "received" if delta > 0 else "lost"
        item = {"sku": sku, "location": location, "delta": delta, "reason": reason}
        self.call("POST", "/v1/inventory/adjustments", {"adjustments": [item]})
        self.run_worker()

    @rule(
        sku=st.sampled_from(SKUS),
        route=st.permutations(STOCKED).map(lambda p: p[:2]),
        units=st.integers(1, 2),
    )
    def transfer(self, sku: str, route: tuple[str, ...], units: int) -> None:
        body = {"sku": sku, "from_location": route[0], "to_location": route[1], "quantity": units}
        self.call("POST", "/v1/inventory/transfers", body)
        self.run_worker()

    @rule(sku=st.sampled_from(SKUS), units=st.integers(1, 3), key=KEYS)
    def receive_purchase_order(self, sku: str, units: int, key: str | None) -> None:
        body = {"lines": [{"sku": sku, "quantity": units}]}
        path = f"/v1/purchase-orders/{self.world.purchase_order_id}/receive"
        self.call("POST", path, body, key=key)
        self.run_worker()

    # --- after every step ---------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        async def check() -> list[str]:
            async with self.harness.db.engine.connect() as conn:
                return await broken_invariants(
                    conn, org_id=self.world.org_id, authorized_orders=self.authorized_orders
                )

        broken = self.run(check())
        assert not broken, "\n".join(broken)


def machine_for(harness: Harness) -> type[LifecycleMachine]:
    """A machine class bound to one harness (and free to carry a seed of its own)."""
    return type("LifecycleMachine", (LifecycleMachine,), {"harness": harness})
