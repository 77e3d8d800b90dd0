"""The point of sale's API shapes. Money is a decimal string."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orderly.orders.schemas import AddressIn, Amount, CustomerIn, OrderOut
from orderly.payments.schemas import RefundOut
from orderly.returns.schemas import ReturnOut

Code = Annotated[str, StringConstraints(min_length=1, max_length=100)]
MAX_SALE_LINES = 200
MAX_TENDERS = 10


class TenderMethod(StrEnum):
    CARD = "card"  # taken on the store's own card terminal; Orderly records its reference
    CASH = "cash"
    STORE_CREDIT = "store_credit"  # the customer's balance (e-mail required)


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SaleLineIn(Closed):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The SKU's code or its GTIN, as a barcode scanner reads it"
    )
    quantity: int = Field(default=1, gt=0, le=10_000)
    unit_price: Amount | None = Field(
        default=None, description="Before tax; the SKU's list price when left out"
    )


class TenderIn(Closed):
    method: TenderMethod
    amount: Amount = Field(description="What this tender pays of the sale")
    tendered: Amount | None = Field(
        default=None, description="Cash handed over, when more than the amount: change is given"
    )
    reference: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="The card terminal's transaction reference (required for card)"
    )

    @model_validator(mode="after")
    def _card_has_its_reference(self) -> TenderIn:
        if self.method is TenderMethod.CARD and self.reference is None:
            raise ValueError("a card tender needs the terminal's reference")
        if self.tendered is not None and self.method is not TenderMethod.CASH:
            raise ValueError("only cash is tendered with change")
        return self


class SaleIn(Closed):
    location: Code = Field(description="The store's code")
    channel: Code = Field(default="pos", description="The point-of-sale channel's code")
    till: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="Which till or register took the sale"
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="The lines' list price currency when left out"
    )
    customer: CustomerIn | None = None
    lines: list[SaleLineIn] = Field(min_length=1, max_length=MAX_SALE_LINES)
    tenders: list[TenderIn] = Field(min_length=1, max_length=MAX_TENDERS)
    ship_to: AddressIn | None = Field(
        default=None,
        description="Endless aisle: paid here, shipped to this address from wherever the stock "
        "is (the customer is required); the store's shelf is not touched",
    )

    @model_validator(mode="after")
    def _shipped_to_someone(self) -> SaleIn:
        if self.ship_to is not None and self.customer is None:
            raise ValueError("an order shipped to the customer needs the customer's e-mail")
        return self


class TakenFrom(BaseModel):
    """An order whose reserved unit the counter sold: it was sourced again."""

    order_id: int
    fulfillment_order_id: int
    line_no: int
    units: int


class SaleOut(BaseModel):
    order: OrderOut
    change: str
    receipt: str = Field(description="The receipt's PDF")
    taken_from: list[TakenFrom]


class CounterReturnLineIn(Closed):
    line_no: int = Field(ge=1, le=100_000)
    quantity: int = Field(gt=0, le=100_000)
    reason: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    damaged: bool = Field(default=False, description="Kept out of stock instead of restocked")


class CounterReturnIn(Closed):
    location: Code = Field(description="The store taking the goods back")
    order: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The order's number (the receipt's barcode) or id"
    )
    lines: list[CounterReturnLineIn] = Field(min_length=1, max_length=MAX_SALE_LINES)


class CounterReturnOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    refund: RefundOut
    return_: ReturnOut = Field(alias="return")
