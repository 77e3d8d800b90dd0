from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Amount = Annotated[
    str,
    StringConstraints(pattern=r"^\d{1,12}(\.\d{1,4})?$", max_length=17),
    Field(description='A decimal string such as "19.99"', examples=["19.99"]),
]
RefundKey = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class RefundDestination(StrEnum):
    ORIGINAL_PAYMENT = "original_payment"
    STORE_CREDIT = "store_credit"


class RefundOut(BaseModel):
    id: int
    order_id: int
    return_id: int | None
    amount: str
    amount_minor: int
    currency: str
    destination: RefundDestination
    provider: str
    provider_reference: str | None
    status: str
    idempotency_key: str
    reason: str | None
    created_at: datetime


class OrderRefundIn(BaseModel):
    """A refund without a return (a goodwill gesture, a price adjustment)."""

    model_config = ConfigDict(extra="forbid")

    amount: Amount
    destination: RefundDestination = RefundDestination.ORIGINAL_PAYMENT
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    idempotency_key: RefundKey | None = Field(
        default=None, description="Defaults to the Idempotency-Key header"
    )


class StoreCreditEntryOut(BaseModel):
    amount: str
    reason: str
    refund_id: int | None
    order_id: int | None
    created_at: datetime


class StoreCreditOut(BaseModel):
    currency: str
    balance: str
    balance_minor: int
    entries: list[StoreCreditEntryOut]


AccountCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class PaymentAccountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    multicapture: bool | None = Field(
        default=None,
        description="Whether its authorizations may be captured shipment by shipment (Stripe: "
        "only where the charge was granted multicapture); the provider's default when unset",
    )


class PaymentAccountIn(BaseModel):
    """An organization's account at a payment provider; saved again under the same code, it is
    replaced (credentials included)."""

    model_config = ConfigDict(extra="forbid")

    code: AccountCode
    provider: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    credentials: dict[
        Annotated[str, StringConstraints(max_length=64)],
        Annotated[str, StringConstraints(max_length=4096)],
    ] = Field(description="Stored encrypted; never returned")
    settings: PaymentAccountSettings = Field(default_factory=PaymentAccountSettings)


class PaymentAccountOut(BaseModel):
    id: int
    code: str
    provider: str
    settings: dict[str, Any]
    credentials_set: list[str] = Field(
        description="Which credentials are stored (their values are never returned)"
    )
    webhook_url: str = Field(description="Where the provider sends this account's webhooks")
    active: bool
    created_at: datetime
    updated_at: datetime
