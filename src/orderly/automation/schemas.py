"""Request and response bodies of the automation API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Amount = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20, pattern=r"^\d+(\.\d+)?$")
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
MAX_ITEMS = 1000


class ReplenishmentRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    location: Code
    reorder_point: int = Field(ge=0, le=2_147_483_647)
    min_quantity: int = Field(0, ge=0, le=2_147_483_647, description="Smallest order worth placing")
    max_quantity: int = Field(ge=0, le=2_147_483_647, description="The level to order up to")


class ReplenishmentRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[ReplenishmentRuleIn] = Field(min_length=1, max_length=MAX_ITEMS)


class ReplenishmentRuleOut(BaseModel):
    id: int
    sku: str
    location: str
    reorder_point: int
    min_quantity: int
    max_quantity: int


class SkuSupplierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    supplier: Code = Field(description="Code of a location of kind `supplier`")
    cost: Amount = "0"
    currency: Currency
    lead_time_days: int = Field(0, ge=0, le=3650)
    pack_size: int = Field(1, ge=1, le=1_000_000)


class SkuSuppliersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suppliers: list[SkuSupplierIn] = Field(min_length=1, max_length=MAX_ITEMS)


class SkuSupplierOut(BaseModel):
    sku: str
    supplier: str
    cost: str
    currency: str
    lead_time_days: int
    pack_size: int


class PurchaseOrderLineOut(BaseModel):
    sku: str
    quantity_ordered: int
    quantity_received: int
    unit_cost: str


class PurchaseOrderOut(BaseModel):
    id: int
    number: str
    supplier: str
    destination: str
    status: str
    currency: str
    expected_on: date | None
    submitted_at: datetime | None
    created_at: datetime
    lines: list[PurchaseOrderLineOut]


class ReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    quantity: int = Field(ge=1, le=2_147_483_647)


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=MAX_ITEMS)


class RestockRunOut(BaseModel):
    purchase_orders: list[PurchaseOrderOut]


class FraudRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: Code
    enabled: bool = True
    score: int | None = Field(None, ge=0, le=1_000_000, description="Default: the rule's own")
    params: dict[str, Any] | None = Field(None, description="Default: the rule's own")


class FraudRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hold_threshold: int | None = Field(
        None, ge=0, le=1_000_000, description="Score at which an order is held for review"
    )
    rules: list[FraudRuleIn] = Field(default_factory=list, max_length=100)


class FraudRuleOut(BaseModel):
    rule: str
    description: str
    enabled: bool
    score: int
    params: dict[str, Any]


class FraudRulesOut(BaseModel):
    hold_threshold: int
    rules: list[FraudRuleOut]


class ReviewReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class LateShipmentGroup(BaseModel):
    location: str | None = Field(description="null: units not allocated to any location yet")
    late_orders: int


class LateShipmentChannel(BaseModel):
    channel: str = Field(description="The channel (marketplace) the orders came from")
    late_orders: int


class LateShipmentsOut(BaseModel):
    group_by: str
    total: int
    items: list[LateShipmentGroup] | list[LateShipmentChannel]
