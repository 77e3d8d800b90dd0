"""Refund arithmetic. Pure: integer minor units in, integer minor units out.

Discount and tax are shared over a line's units by the largest-remainder method, so units
always add up to the line (docs/returns.md, "Refund arithmetic").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True)
class LineAmounts:
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_minor: int

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_price_minor - self.discount_minor + self.tax_minor


def shares(amount_minor: int, parts: int) -> list[int]:
    """Split an amount into `parts` integer shares that sum to it exactly."""
    if parts <= 0:
        return []
    base, leftover = divmod(amount_minor, parts)
    return [base + (1 if i < leftover else 0) for i in range(parts)]


def unit_amounts(line: LineAmounts) -> list[int]:
    """What each unit of the line is worth: price, less its share of the discount, plus its
    share of the tax."""
    discounts = shares(line.discount_minor, line.quantity)
    taxes = shares(line.tax_minor, line.quantity)
    return [line.unit_price_minor - d + t for d, t in zip(discounts, taxes, strict=True)]


def units_of_return(line: LineAmounts, *, already_returned: int, quantity: int) -> list[int]:
    """The amounts of the next `quantity` units after those already returned."""
    return unit_amounts(line)[already_returned : already_returned + quantity]


def restocking_fee(amount_minor: int, percent: Decimal) -> int:
    fee = (Decimal(amount_minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(int(fee), amount_minor)


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    unit_amounts: Sequence[int]
    received: int
    fee_percent: Decimal


def line_value(line: ReturnedLine, units: int) -> int:
    """What `units` units of a returned line refund, after the restocking fee."""
    gross = sum(line.unit_amounts[:units])
    return gross - restocking_fee(gross, line.fee_percent)


def return_value(
    lines: Sequence[ReturnedLine], *, shipping_refund_minor: int, received_only: bool
) -> int:
    """The refund a return is worth: its received units (or all authorised units), each line
    less its restocking fee, plus the shipping refund once something is counted."""
    total = 0
    for line in lines:
        units = line.received if received_only else len(line.unit_amounts)
        total += line_value(line, units)
    return total + (shipping_refund_minor if total > 0 else 0)


def refundable(*, paid_minor: int, refunded_minor: int) -> int:
    """What the order can still give back."""
    return max(paid_minor - refunded_minor, 0)
