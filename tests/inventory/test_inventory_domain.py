"""Stock rules without a database."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderly.inventory.domain import (
    Adjustment,
    AdjustmentReason,
    LedgerKind,
    StockLevelView,
    StockTotals,
    Transfer,
    available,
    in_locking_order,
)


class TestAvailable:
    def test_is_what_is_neither_reserved_nor_held_back(self) -> None:
        assert available(on_hand=10, reserved=3, safety_stock=2) == 5

    @given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
    def test_is_never_negative(self, on_hand: int, reserved: int, safety: int) -> None:
        assert available(on_hand, reserved, safety) >= 0


class TestAdjustment:
    def test_only_a_receipt_is_recorded_as_received(self) -> None:
        kinds = {reason: reason.ledger_kind for reason in AdjustmentReason}
        assert kinds.pop(AdjustmentReason.RECEIVED) is LedgerKind.RECEIVED
        assert set(kinds.values()) == {LedgerKind.ADJUSTED}

    @pytest.mark.parametrize(
        ("delta", "count", "field"),
        [
            (None, None, "delta"),
            (1, 1, "delta"),
            (0, None, "delta"),
            (None, -1, "set_on_hand"),
            (3_000_000_000, None, "delta"),
        ],
    )
    def test_problems_name_the_field(
        self, delta: int | None, count: int | None, field: str
    ) -> None:
        adjustment = Adjustment("A", "WH1", AdjustmentReason.OTHER, delta=delta, set_on_hand=count)
        problem = adjustment.problem()
        assert problem is not None and problem[0] == field

    def test_a_delta_or_a_count_is_fine(self) -> None:
        assert Adjustment("A", "WH1", AdjustmentReason.LOST, delta=-2).problem() is None
        assert Adjustment("A", "WH1", AdjustmentReason.CYCLE_COUNT, set_on_hand=0).problem() is None


class TestTransfer:
    def test_needs_two_locations_and_a_positive_quantity(self) -> None:
        assert Transfer("A", "WH1", "WH1", 1).problem() == (
            "to_location",
            "a transfer needs two different locations",
        )
        problem = Transfer("A", "WH1", "WH2", 0).problem()
        assert problem is not None and problem[0] == "quantity"
        assert Transfer("A", "WH1", "WH2", 1).problem() is None


class TestTotals:
    def test_only_active_locations_count(self) -> None:
        levels = [
            StockLevelView("A", "WH1", on_hand=10, reserved=2, safety_stock=1),
            StockLevelView("A", "ST1", on_hand=1, reserved=0, safety_stock=5),
            StockLevelView("A", "OLD", on_hand=99, reserved=0, safety_stock=0, active=False),
        ]
        assert StockTotals.of(levels) == StockTotals(
            on_hand=11, reserved=2, safety_stock=6, available=7
        )


class TestLockingOrder:
    @given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), max_size=30))
    def test_sorts_by_sku_then_location_and_keeps_the_given_order_of_equals(
        self, keys: list[tuple[int, int]]
    ) -> None:
        ordered = in_locking_order((key, i) for i, key in enumerate(keys))
        assert [key for key, _ in ordered] == sorted(keys)
        for (a, i), (b, j) in pairwise(ordered):
            assert a < b or i < j
