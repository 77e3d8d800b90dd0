"""Refund arithmetic without a database: shares, unit values, fees, and the refund cap."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderly.returns.refunds import (
    LineAmounts,
    ReturnedLine,
    refundable,
    restocking_fee,
    return_value,
    shares,
    unit_amounts,
    units_of_return,
)

lines = st.builds(
    LineAmounts,
    quantity=st.integers(1, 50),
    unit_price_minor=st.integers(0, 100_000),
    discount_minor=st.integers(0, 50_000),
    tax_minor=st.integers(0, 50_000),
)


@given(st.integers(0, 10**9), st.integers(1, 1000))
def test_shares_sum_to_the_amount_and_differ_by_at_most_one(amount: int, parts: int) -> None:
    split = shares(amount, parts)
    assert sum(split) == amount
    assert max(split) - min(split) <= 1


@given(lines)
def test_units_of_a_line_sum_to_the_line(line: LineAmounts) -> None:
    units = unit_amounts(line)
    assert len(units) == line.quantity
    assert sum(units) == line.total_minor
    discounts = shares(line.discount_minor, line.quantity)
    taxes = shares(line.tax_minor, line.quantity)
    assert sum(discounts) == line.discount_minor and sum(taxes) == line.tax_minor


@given(lines, st.data())
def test_successive_returns_of_a_line_add_up_to_the_line(
    line: LineAmounts, data: st.DataObject
) -> None:
    returned, total = 0, 0
    while returned < line.quantity:
        quantity = data.draw(st.integers(1, line.quantity - returned))
        total += sum(units_of_return(line, already_returned=returned, quantity=quantity))
        returned += quantity
    assert total == line.total_minor


@given(
    st.integers(0, 10**7),
    st.lists(st.integers(1, 10**6), max_size=30),
)
def test_refunds_never_exceed_what_was_paid(paid: int, requests: list[int]) -> None:
    """Each request is granted only within what the order can still give back."""
    refunded = 0
    for asked in requests:
        if asked <= refundable(paid_minor=paid, refunded_minor=refunded):
            refunded += asked
        assert refunded <= paid
    assert refundable(paid_minor=paid, refunded_minor=refunded) == paid - refunded


@given(st.integers(0, 10**8), st.decimals(0, 100, places=2))
def test_a_fee_is_never_more_than_the_amount(amount: int, percent: Decimal) -> None:
    fee = restocking_fee(amount, percent)
    assert 0 <= fee <= amount


def test_worked_example() -> None:
    line = LineAmounts(quantity=3, unit_price_minor=1000, discount_minor=100, tax_minor=200)
    assert unit_amounts(line) == [1033, 1034, 1033]
    returned = ReturnedLine(unit_amounts=[1033, 1034], received=1, fee_percent=Decimal(10))
    # one unit received: 10.33 less a 10 % fee of 1.03; shipping 5.00 comes with it
    assert return_value([returned], shipping_refund_minor=500, received_only=True) == 1430
    assert return_value([returned], shipping_refund_minor=500, received_only=False) == 2360
    nothing = ReturnedLine(unit_amounts=[1034], received=0, fee_percent=Decimal(0))
    assert return_value([nothing], shipping_refund_minor=500, received_only=True) == 0
