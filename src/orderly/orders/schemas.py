"""The order API's shapes. Money is a decimal string; read-only fields are never accepted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from orderly.orders.domain import DeliveryMethod, HoldReason, OrderStatus, PaymentStatus

Amount = Annotated[
    str,
    StringConstraints(pattern=r"^\d{1,12}(\.\d{1,4})?$", max_length=17),
    Field(description='A non-negative decimal string such as "19.99"', examples=["19.99"]),
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Email = Annotated[
    str,
    StringConstraints(
        pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=254, strip_whitespace=True
    ),
]


class Closed(BaseModel):
    """Unknown fields are refused, so a client cannot set what it does not own."""

    model_config = ConfigDict(extra="forbid")


class AddressIn(Closed):
    name: ShortText | None = None
    company: ShortText | None = None
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: CountryCode
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class CustomerIn(Closed):
    email: Email
    name: ShortText | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class OrderLineIn(Closed):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    quantity: int = Field(gt=0, le=100_000)
    unit_price: Amount
    discount: Amount = "0"
    tax: Amount = "0"


class PaymentIn(Closed):
    status: PaymentStatus = PaymentStatus.PENDING
    amount: Amount = "0"
    method: ShortText | None = None
    reference: ShortText | None = None
    # When the provider's authorization lapses, if the storefront knows it (Stripe's
    # `capture_before`); otherwise the provider's usual window is assumed.
    authorization_expires_at: AwareDatetime | None = None


# An order paid by several means (a gift card and a card, cash and a card) lists them here.
MAX_PAYMENTS = 10


class OrderIn(Closed):
    channel: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "web"
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    customer: CustomerIn
    shipping_address: AddressIn | None = None
    billing_address: AddressIn | None = None
    delivery_method: DeliveryMethod = DeliveryMethod.SHIP
    pickup_location: Annotated[str, StringConstraints(max_length=100)] | None = None
    lines: list[OrderLineIn] = Field(min_length=1)
    shipping_price: Amount = "0"
    payment: PaymentIn = Field(default_factory=PaymentIn)
    payments: list[PaymentIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PAYMENTS,
        description="Split tenders, instead of `payment`: each taken by its own means.",
    )
    notes: Annotated[str, StringConstraints(max_length=4000)] | None = None
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    requested_delivery_date: date | None = None
    ship_by: AwareDatetime | None = Field(
        default=None,
        description="The latest the order may ship (a marketplace's ship-by date): its promise",
    )

    @property
    def tenders(self) -> list[PaymentIn]:
        """The order's payments as sent: `payments`, or the one `payment`."""
        return self.payments if self.payments is not None else [self.payment]

    @model_validator(mode="after")
    def _one_way_to_pay(self) -> OrderIn:
        if self.payments is not None and "payment" in self.model_fields_set:
            raise ValueError("send either payment or payments, not both")
        return self

    @model_validator(mode="after")
    def _delivery_needs_a_destination(self) -> OrderIn:
        if self.delivery_method is DeliveryMethod.PICKUP and not self.pickup_location:
            raise ValueError("pickup_location is required when delivery_method is pickup")
        if self.delivery_method is DeliveryMethod.SHIP and self.shipping_address is None:
            raise ValueError("shipping_address is required when delivery_method is ship")
        return self


class AllocationOut(BaseModel):
    location: str
    quantity: int
    status: str


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    unit_price: str
    discount: str
    tax: str
    total: str
    # reserved or shipped; quantity = allocated + cancelled + backordered
    allocated: int
    cancelled: int = 0
    backordered: int
    allocations: list[AllocationOut]


class PaymentOut(BaseModel):
    """The order's payments summed up (its first payment's method and reference)."""

    status: PaymentStatus
    amount: str
    method: str | None
    reference: str | None
    authorized: str
    captured: str
    refunded: str


class OrderPaymentOut(BaseModel):
    """One of the order's payments: what it was for, and what its provider authorized,
    captured and refunded. `problem` says what a person must look at."""

    position: int
    method: str | None
    provider: str
    reference: str | None
    status: PaymentStatus
    amount: str
    authorized: str
    captured: str
    refunded: str
    authorization_expires_at: datetime | None
    multicapture: bool
    problem: str | None


class CustomerOut(BaseModel):
    email: str | None
    name: str | None
    phone: str | None


class OrderOut(BaseModel):
    id: int
    number: str
    channel: str
    external_id: str | None
    status: OrderStatus
    hold_reasons: list[HoldReason]
    currency: str
    customer: CustomerOut
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    delivery_method: DeliveryMethod
    pickup_location: str | None
    lines: list[OrderLineOut]
    subtotal: str
    discount: str
    tax: str
    shipping: str
    total: str
    payment: PaymentOut
    payments: list[OrderPaymentOut]
    notes: str | None
    tags: list[str]
    requested_delivery_date: date | None
    ship_by: datetime | None = None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime


class OrderSummary(BaseModel):
    id: int
    number: str
    channel: str
    external_id: str | None
    status: OrderStatus
    hold_reasons: list[HoldReason]
    currency: str
    customer_email: str | None
    total: str
    created_at: datetime


class ReasonIn(Closed):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class ReleaseIn(Closed):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    hold: HoldReason | None = Field(
        default=None, description="Release one hold reason; all of them when omitted"
    )


class OrderEventOut(BaseModel):
    id: int
    type: str
    data: dict[str, Any]
    actor: str | None
    created_at: datetime
