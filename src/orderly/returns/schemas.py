"""The returns API's shapes. Money is a decimal string."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orderly.orders.schemas import Amount
from orderly.payments.schemas import RefundDestination, RefundKey, RefundOut
from orderly.returns.domain import ReturnMethod, ReturnStatus

Reason = Annotated[str, StringConstraints(min_length=1, max_length=50)]
LocationCode = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReturnLineIn(Closed):
    line_no: int = Field(ge=1, le=100_000)
    quantity: int = Field(gt=0, le=100_000)
    reason: Reason


class ReturnIn(Closed):
    order_id: int = Field(ge=1, le=2**63 - 1)
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)
    method: ReturnMethod = ReturnMethod.SHIP_BACK
    location: LocationCode | None = Field(
        default=None,
        description="The store (in_store, required) or returns location (ship_back; the "
        "policy's returns_location or the first location with the returns capability)",
    )
    authorize: bool = Field(default=True, description="False leaves the return `requested`")
    parcel_weight_grams: int = Field(default=1000, ge=1, le=1_000_000)
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _store_named(self) -> ReturnIn:
        if self.method is ReturnMethod.IN_STORE and not self.location:
            raise ValueError("location (the store) is required for an in_store return")
        return self


class ReturnLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    reason: str
    restocked: int
    damaged: int
    disposed: int
    received: int
    value: str = Field(description="The refund the authorised units are worth, after any fee")


class ReturnOut(BaseModel):
    id: int
    number: str
    order_id: int
    order_number: str
    status: ReturnStatus
    method: ReturnMethod
    location: str
    source: str
    currency: str
    lines: list[ReturnLineOut]
    shipment_id: int | None
    label_pdf_url: str | None
    label_problem: str | None = Field(
        description="Why a ship-back return has no label (it could not be bought: authorize "
        "again), or why the label of a cancelled return was not voided"
    )
    shipping_refund: str
    value: str = Field(description="What every authorised unit refunds, with shipping")
    received_value: str = Field(description="What the units received so far refund")
    refunded: str
    exchange_order_id: int | None
    exchange_credit: str
    notes: str | None
    created_at: datetime
    updated_at: datetime
    received_at: datetime | None
    closed_at: datetime | None


class InspectedLineIn(Closed):
    line_no: int = Field(ge=1, le=100_000)
    restock: Count = 0
    damaged: Count = 0
    dispose: Count = 0


class ReceiveIn(Closed):
    location: LocationCode | None = Field(
        default=None, description="Where the units arrived; the return's location by default"
    )
    lines: list[InspectedLineIn] = Field(min_length=1, max_length=500)


class RefundIn(Closed):
    amount: Amount | None = Field(
        default=None, description="Part of what is still owed; all of it when omitted"
    )
    destination: RefundDestination = RefundDestination.ORIGINAL_PAYMENT
    idempotency_key: RefundKey | None = Field(
        default=None, description="Defaults to the Idempotency-Key header"
    )


class ReturnRefundOut(BaseModel):
    refund: RefundOut
    return_: ReturnOut = Field(alias="return")

    model_config = ConfigDict(populate_by_name=True)


class ExchangeLineIn(Closed):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    quantity: int = Field(gt=0, le=100_000)
    unit_price: Amount
    discount: Amount = "0"
    tax: Amount = "0"


class ExchangeIn(Closed):
    lines: list[ExchangeLineIn] = Field(min_length=1, max_length=500)
    shipping_price: Amount = "0"
    destination: RefundDestination = Field(
        default=RefundDestination.ORIGINAL_PAYMENT,
        description="Where a difference in the customer's favour is refunded",
    )


class ExchangeOut(BaseModel):
    return_: ReturnOut = Field(alias="return")
    order_id: int
    order_number: str
    credit: str = Field(description="The return's value applied to the replacement order")
    difference: str = Field(
        description="Replacement total minus the credit: positive is owed by the customer "
        "(payment pending on the new order), negative was refunded"
    )
    refund: RefundOut | None

    model_config = ConfigDict(populate_by_name=True)


class ReasonIn(Closed):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
