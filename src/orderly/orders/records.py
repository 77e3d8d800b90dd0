"""An order as one typed record: what capture builds and writes, what the order query reads
back, and what the presenter shows.

Its fields carry the names of the `orders` columns (the writer stores every field that is a
column), plus what is shown with them (channel and pickup codes, customer's name and phone,
lines and allocations). Adding a column: docs/architecture.md, "Adding a field to orders".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class LineRecord:
    line_no: int
    sku: str
    sku_id: int
    quantity: int  # what the customer ordered
    unit_price_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int  # of the units still owed
    cancelled_quantity: int = 0


@dataclass(frozen=True, slots=True)
class AllocationRecord:
    line_no: int
    sku_id: int
    location_id: int
    location: str
    quantity: int
    status: str = "reserved"


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One of the order's payments (a row of `order_payments`)."""

    position: int
    method: str | None
    provider: str
    account_id: int | None
    reference: str | None
    currency: str
    amount_minor: int
    authorized_minor: int
    captured_minor: int
    refunded_minor: int
    status: str
    authorization_expires_at: datetime | None = None
    multicapture: bool = False
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    id: int
    org_id: int
    number: str
    channel_id: int
    channel_code: str
    external_id: str | None
    status: str
    currency: str
    customer_email: str | None
    customer_name: str | None
    customer_phone: str | None
    billing_address: dict[str, Any] | None
    shipping_address: dict[str, Any] | None
    delivery_method: str
    pickup_location_id: int | None
    pickup_code: str | None
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    shipping_minor: int
    total_minor: int
    payment_status: str
    payment_amount_minor: int
    payment_method: str | None
    payment_reference: str | None
    hold_reasons: list[str]
    notes: str | None
    tags: list[str]
    requested_delivery_date: date | None
    created_at: datetime
    updated_at: datetime
    lines: tuple[LineRecord, ...]
    allocations: tuple[AllocationRecord, ...]
    payments: tuple[PaymentRecord, ...] = ()
    cancel_reason: str | None = None
    ship_by: datetime | None = None
    personal_data_erased_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OrderRecord:
        """The record of a row read by `orders.queries.order_row`."""
        values = {name: row[name] for name in _PLAIN_FIELDS}
        return cls(
            **values,
            lines=tuple(LineRecord(**_known(LineRecord, line)) for line in row["lines"]),
            allocations=tuple(
                AllocationRecord(**_known(AllocationRecord, a)) for a in row["allocations"]
            ),
            payments=tuple(_payment(p) for p in row["payments"]),
        )


_NESTED = ("lines", "allocations", "payments")
_PLAIN_FIELDS = tuple(f.name for f in fields(OrderRecord) if f.name not in _NESTED)


def _payment(values: Mapping[str, Any]) -> PaymentRecord:
    known = _known(PaymentRecord, values)
    expires = known.get("authorization_expires_at")
    if isinstance(expires, str):  # from JSON
        known["authorization_expires_at"] = datetime.fromisoformat(expires)
    return PaymentRecord(**known)


def _known(record: type, values: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(record)}
    return {k: v for k, v in values.items() if k in names}
