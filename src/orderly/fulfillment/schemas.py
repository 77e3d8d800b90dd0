from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orderly.fulfillment.domain import FulfillmentStatus, RejectReason

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Positive = Annotated[int, Field(gt=0, le=2_147_483_647)]
NonNegative = Annotated[int, Field(ge=0, le=2_147_483_647)]
ResourceRef = Annotated[int, Field(ge=1, le=2**63 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineQuantity(_In):
    line_no: Positive
    quantity: Positive


class RejectIn(_In):
    reason: RejectReason
    lines: list[LineQuantity] | None = Field(
        None, description="Units to reject per line; all open units when absent"
    )
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class CancelIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ParcelChoice(_In):
    box: Code
    items: list[LineQuantity] = Field(min_length=1)


class PackIn(_In):
    parcels: list[ParcelChoice] | None = Field(
        None, description="Boxes chosen by the packer; the smallest boxes that fit when absent"
    )


class ShipIn(_In):
    parcels: list[ResourceRef] | None = Field(
        None, description="Parcel ids to ship now; every packed parcel when absent"
    )
    service: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="Carrier service to use instead of rate shopping"
    )


class PickupIn(_In):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class FulfillmentLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    rejected: int
    picked: int | None
    packed: int
    shipped: int


class ParcelOut(BaseModel):
    id: int
    box: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_grams: int
    items: list[dict[str, int]]
    status: str
    shipment_id: int | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    service: str | None = None


class FulfillmentOrderOut(BaseModel):
    id: int
    order_id: int
    order_number: str
    location: str
    status: FulfillmentStatus
    pickup: bool
    reject_reason: str | None
    cancel_reason: str | None
    pick_list_id: int | None
    lines: list[FulfillmentLineOut]
    parcels: list[ParcelOut]
    pickup_expires_at: datetime | None
    accepted_at: datetime | None
    picked_at: datetime | None
    packed_at: datetime | None
    ready_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReadyForPickupOut(FulfillmentOrderOut):
    pickup_code: str = Field(description="Give this to the customer; it is not shown again")


# Pick lists ---------------------------------------------------------------------------------


class PickListIn(_In):
    location: Code
    max_orders: Annotated[int, Field(ge=1, le=500)] = 50
    fulfillment_order_ids: list[ResourceRef] | None = Field(
        None, description="Only these accepted fulfillment orders (a pick of one order)"
    )


class PickConfirmLine(_In):
    fulfillment_order_id: ResourceRef
    line_no: Positive
    quantity: NonNegative


class PickConfirmIn(_In):
    picks: list[PickConfirmLine] = Field(
        default_factory=list,
        description="Units picked per line; a line not listed was picked in full",
    )


class PickOrderOut(BaseModel):
    fulfillment_order_id: int
    order_number: str
    line_no: int
    quantity: int
    picked: int | None


class PickItemOut(BaseModel):
    bin: str | None
    sku: str
    name: str
    quantity: int
    orders: list[PickOrderOut]


class ShortPickOut(BaseModel):
    fulfillment_order_id: int
    line_no: int
    short: int


class PickListOut(BaseModel):
    id: int
    location: str
    status: str
    fulfillment_order_ids: list[int]
    items: list[PickItemOut]
    short_picks: list[ShortPickOut] = []
    created_at: datetime
    confirmed_at: datetime | None


# Location setup -----------------------------------------------------------------------------


class BinIn(_In):
    sku: Code
    bin: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class BinsIn(_In):
    bins: list[BinIn] = Field(max_length=10_000)


class BinOut(BaseModel):
    sku: str
    bin: str


class BoxIn(_In):
    code: Code
    length_mm: Positive
    width_mm: Positive
    height_mm: Positive
    max_weight_grams: Positive
    tare_grams: NonNegative = 0


class BoxesIn(_In):
    boxes: list[BoxIn] = Field(max_length=200)


class BoxOut(BaseModel):
    code: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_weight_grams: int
    tare_grams: int


def fulfillment_out(row: dict[str, Any], **extra: Any) -> FulfillmentOrderOut:
    if extra:
        return ReadyForPickupOut.model_validate({**row, **extra})
    return FulfillmentOrderOut.model_validate(row)
