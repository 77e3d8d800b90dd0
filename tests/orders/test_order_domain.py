"""The order's rules without a database: state machine, verification, totals, sourcing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderly.kit.errors import IllegalTransition
from orderly.orders.domain import (
    TRANSITIONS,
    DeliveryMethod,
    HoldReason,
    LineAmounts,
    OrderStatus,
    PaymentStatus,
    check_availability,
    check_payment,
    check_shipping,
    ensure_transition,
    follows_fulfillment,
    initial_status,
    order_totals,
    owed_amounts,
    status_after_release,
)
from orderly.sourcing.domain import (
    CandidateLocation,
    Destination,
    LineDemand,
    SingleLocationThenSplit,
    SourcingRequest,
)

S = OrderStatus


class TestStateMachine:
    def test_every_status_has_a_row(self) -> None:
        assert set(TRANSITIONS) == set(OrderStatus)

    @pytest.mark.parametrize("final", [S.CANCELLED, S.DELIVERED])
    def test_final_statuses_go_nowhere(self, final: OrderStatus) -> None:
        for target in OrderStatus:
            with pytest.raises(IllegalTransition) as caught:
                ensure_transition(final, target)
            assert caught.value.status == 409
            assert caught.value.code == "illegal_transition"

    def test_a_shipped_order_cannot_be_cancelled(self) -> None:
        with pytest.raises(IllegalTransition):
            ensure_transition(S.SHIPPED, S.CANCELLED)

    @pytest.mark.parametrize("start", [S.ALLOCATED, S.ON_HOLD, S.BACKORDERED])
    def test_open_orders_can_be_cancelled(self, start: OrderStatus) -> None:
        ensure_transition(start, S.CANCELLED)

    def test_release_leads_to_allocated_backordered_or_back_to_partially_shipped(self) -> None:
        assert TRANSITIONS[S.ON_HOLD] == {
            S.ALLOCATED,
            S.BACKORDERED,
            S.PARTIALLY_SHIPPED,
            S.CANCELLED,
        }
        assert status_after_release(short=False) is S.ALLOCATED
        assert status_after_release(short=True) is S.BACKORDERED
        for short in (False, True):
            assert status_after_release(short=short, units_shipped=True) is S.PARTIALLY_SHIPPED

    @pytest.mark.parametrize("target", [S.ALLOCATED, S.BACKORDERED, S.CANCELLED])
    def test_a_held_order_whose_units_shipped_never_goes_back(self, target: OrderStatus) -> None:
        ensure_transition(S.ON_HOLD, target)
        with pytest.raises(IllegalTransition) as caught:
            ensure_transition(S.ON_HOLD, target, units_shipped=True)
        assert "once units have shipped" in caught.value.detail
        ensure_transition(S.ON_HOLD, S.PARTIALLY_SHIPPED, units_shipped=True)


class TestFulfillmentNews:
    def test_an_order_that_follows_fulfillment_takes_the_legal_steps(self) -> None:
        assert follows_fulfillment(S.ALLOCATED, [S.SHIPPED, S.DELIVERED])
        assert follows_fulfillment(S.PARTIALLY_SHIPPED, [S.SHIPPED])
        assert follows_fulfillment(S.SHIPPED, [S.DELIVERED])

    @pytest.mark.parametrize("waiting", [S.ON_HOLD, S.BACKORDERED, S.CANCELLED, S.DELIVERED])
    def test_a_waiting_or_closed_order_is_not_moved_by_news(self, waiting: OrderStatus) -> None:
        assert not follows_fulfillment(waiting, [S.PARTIALLY_SHIPPED])
        assert not follows_fulfillment(waiting, [S.SHIPPED, S.DELIVERED])


class TestVerification:
    def test_pending_payment_holds(self) -> None:
        result = check_payment(PaymentStatus.PENDING, 0, 1999)
        assert (result.passed, result.hold) == (False, HoldReason.PAYMENT)

    def test_failed_payment_holds(self) -> None:
        assert check_payment(PaymentStatus.FAILED, 1999, 1999).hold is HoldReason.PAYMENT

    def test_voided_payment_holds(self) -> None:
        # A voided authorisation will never be captured: the order cannot ship on it.
        assert check_payment(PaymentStatus.VOIDED, 1999, 1999).hold is HoldReason.PAYMENT

    def test_authorization_below_the_total_holds(self) -> None:
        assert check_payment(PaymentStatus.AUTHORIZED, 1000, 1999).hold is HoldReason.PAYMENT

    def test_authorized_for_the_total_passes(self) -> None:
        assert check_payment(PaymentStatus.AUTHORIZED, 1999, 1999).passed

    def test_incomplete_address_holds_for_shipping(self) -> None:
        result = check_shipping(
            method=DeliveryMethod.SHIP,
            address={"country": "US", "city": "Boston"},
            candidate_count=3,
        )
        assert result.hold is HoldReason.SHIPPING
        assert "line1" in result.detail and "postal_code" in result.detail

    def test_no_location_shipping_to_the_country_holds(self) -> None:
        address = {"line1": "1 Rue", "city": "Paris", "postal_code": "75001", "country": "FR"}
        result = check_shipping(method=DeliveryMethod.SHIP, address=address, candidate_count=0)
        assert result.hold is HoldReason.SHIPPING
        assert "FR" in result.detail

    def test_pickup_needs_no_address(self) -> None:
        result = check_shipping(
            method=DeliveryMethod.PICKUP, address=None, candidate_count=1, pickup_code="ST1"
        )
        assert result.passed

    def test_shortfall_is_reported(self) -> None:
        assert not check_availability({1: 2}, allow_backorders=True).passed
        assert check_availability({}, allow_backorders=False).passed

    def test_initial_status(self) -> None:
        assert initial_status([], short=False) is S.ALLOCATED
        assert initial_status([], short=True) is S.BACKORDERED
        assert initial_status([HoldReason.PAYMENT], short=True) is S.ON_HOLD


class TestCancelledUnits:
    def test_the_owed_units_keep_their_share_of_discount_and_tax(self) -> None:
        line = LineAmounts(3, 1000, 100, 80)  # unit shares: discount 34, 33, 33; tax 27, 27, 26
        owed = owed_amounts(line, cancelled=1)
        assert (owed.quantity, owed.discount_minor, owed.tax_minor) == (2, 67, 54)
        assert owed.total_minor == 2000 - 67 + 54
        assert owed_amounts(line, cancelled=0) == line
        assert owed_amounts(line, cancelled=3).total_minor == 0

    @given(
        quantity=st.integers(1, 50),
        price=st.integers(0, 10_000),
        discount=st.integers(0, 5_000),
        tax=st.integers(0, 5_000),
        data=st.data(),
    )
    def test_cancelling_more_never_owes_more(
        self, quantity: int, price: int, discount: int, tax: int, data: st.DataObject
    ) -> None:
        line = LineAmounts(quantity, price, min(discount, quantity * price), tax)
        fewer = data.draw(st.integers(0, quantity))
        more = data.draw(st.integers(fewer, quantity))
        assert owed_amounts(line, cancelled=more).total_minor >= 0
        assert (
            owed_amounts(line, cancelled=more).total_minor
            <= owed_amounts(line, cancelled=fewer).total_minor
            <= line.total_minor
        )
        assert owed_amounts(line, cancelled=quantity).total_minor == 0


def test_totals_add_up_in_minor_units() -> None:
    lines = [LineAmounts(2, 1999, 500, 260), LineAmounts(1, 1000, 0, 80)]
    totals = order_totals(lines, shipping_minor=499)
    assert totals.subtotal_minor == 4998
    assert totals.discount_minor == 500
    assert totals.tax_minor == 340
    assert totals.total_minor == 4998 - 500 + 340 + 499


class TestSimpleSourcing:
    near = CandidateLocation(1, "NEAR", 100, 42.0, -71.0)
    far = CandidateLocation(2, "FAR", 100, 32.0, -96.0)
    boston = Destination("US", 42.36, -71.06)

    def plan(self, lines: list[tuple[int, int]], available: dict[tuple[int, int], int]):  # type: ignore[no-untyped-def]
        demands = tuple(LineDemand(n, sku, q) for n, (sku, q) in enumerate(lines, start=1))
        request = SourcingRequest(demands, self.boston, (self.far, self.near), available)
        return SingleLocationThenSplit().plan(request)

    def test_prefers_one_location_that_holds_everything(self) -> None:
        plan = self.plan([(10, 1), (11, 1)], {(10, 1): 5, (10, 2): 5, (11, 2): 5})
        assert {a.location_id for a in plan.allocations} == {2}
        assert plan.is_complete

    def test_nearer_location_wins_at_equal_priority(self) -> None:
        plan = self.plan([(10, 1)], {(10, 1): 5, (10, 2): 5})
        assert plan.location_ids == (1,)

    def test_priority_beats_distance(self) -> None:
        far_first = CandidateLocation(2, "FAR", 1, 32.0, -96.0)
        request = SourcingRequest(
            (LineDemand(1, 10, 1),), self.boston, (far_first, self.near), {(10, 1): 5, (10, 2): 5}
        )
        assert SingleLocationThenSplit().plan(request).location_ids == (2,)

    def test_splits_when_no_single_location_can(self) -> None:
        plan = self.plan([(10, 1), (11, 1)], {(10, 1): 1, (11, 2): 1})
        assert plan.location_ids == (1, 2)
        assert plan.is_complete

    def test_reports_the_shortfall(self) -> None:
        plan = self.plan([(10, 7)], {(10, 1): 3, (10, 2): 2})
        assert dict(plan.shortfalls) == {1: 2}
        assert sum(a.quantity for a in plan.allocations) == 5

    def test_never_allocates_more_than_available(self) -> None:
        plan = self.plan([(10, 3), (10, 3)], {(10, 1): 4})
        assert sum(a.quantity for a in plan.allocations) == 4
        assert dict(plan.shortfalls) == {2: 2}
