from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orderly.inventory.domain import (
    MAX_ADJUSTMENTS_PER_CALL,
    Adjustment,
    AdjustmentReason,
    LedgerKind,
    SafetyStockSetting,
    StockLevelView,
    StockPicture,
    StockTotals,
    Transfer,
    available,
)

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AdjustmentIn(BaseModel):
    """Give exactly one of `delta` (units in or out, not zero) and `set_on_hand` (a count)."""

    model_config = ConfigDict(extra="forbid")

    sku: Code
    location: Code
    delta: int | None = Field(None, description="Units added (or removed when negative)")
    set_on_hand: int | None = Field(None, description="A count that replaces on_hand")
    reason: AdjustmentReason
    reference: Reference | None = None

    def to_domain(self) -> Adjustment:
        return Adjustment(
            sku=self.sku,
            location=self.location,
            reason=self.reason,
            delta=self.delta,
            set_on_hand=self.set_on_hand,
            reference=self.reference,
        )


class AdjustmentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    adjustments: list[AdjustmentIn] = Field(min_length=1, max_length=MAX_ADJUSTMENTS_PER_CALL)


class StockLevelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int = Field(description="max(on_hand - reserved - safety_stock, 0)")


class LevelsOut(BaseModel):
    levels: list[StockLevelOut]

    @classmethod
    def of(cls, views: list[StockLevelView]) -> LevelsOut:
        return cls(levels=[StockLevelOut.model_validate(v) for v in views])


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    from_location: Code
    to_location: Code
    quantity: int = Field(gt=0, le=2_147_483_647)
    reference: Reference | None = None

    def to_domain(self) -> Transfer:
        return Transfer(
            sku=self.sku,
            from_location=self.from_location,
            to_location=self.to_location,
            quantity=self.quantity,
            reference=self.reference,
        )


class TransferOut(BaseModel):
    sku: str
    from_location: str
    to_location: str
    quantity: int
    reference: str | None
    levels: list[StockLevelOut] = Field(description="The source level, then the destination")


class SafetyStockLevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    location: Code
    safety_stock: int = Field(ge=0, le=2_147_483_647)

    def to_domain(self) -> SafetyStockSetting:
        return SafetyStockSetting(
            sku=self.sku, location=self.location, safety_stock=self.safety_stock
        )


class SafetyStockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    levels: list[SafetyStockLevelIn] = Field(min_length=1, max_length=MAX_ADJUSTMENTS_PER_CALL)


class LocationStockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    location: str
    active: bool = Field(description="Inactive locations are not counted in the totals")
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class StockTotalsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class SkuStockOut(BaseModel):
    sku: str
    locations: list[LocationStockOut]
    totals: StockTotalsOut = Field(description="Sums over the active locations")


def stock_page_items(picture: StockPicture) -> list[dict[str, Any]]:
    """The items of a `Page[SkuStockOut]` as plain values, straight from the levels read.

    A SKU stocked across the network has a row per location (hundreds): a model built and
    validated per row costs several times the query, so the document is written from these
    values (`kit.pagination.page_response`); the tests check that it is a valid SkuStockOut.
    """
    return [
        {
            "sku": item.sku,
            "locations": [
                {
                    "location": location,
                    "active": active,
                    "on_hand": on_hand,
                    "reserved": reserved,
                    "safety_stock": safety_stock,
                    "available": available(on_hand, reserved, safety_stock),
                }
                for location, active, on_hand, reserved, safety_stock in item.levels()
                if picture.is_shown(location)
            ],
            "totals": _totals(StockTotals.of_rows(item.levels())),
        }
        for item in picture.items
    ]


def _totals(totals: StockTotals) -> dict[str, int]:
    return {
        "on_hand": totals.on_hand,
        "reserved": totals.reserved,
        "safety_stock": totals.safety_stock,
        "available": totals.available,
    }


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    location: str
    kind: LedgerKind
    on_hand_delta: int
    reserved_delta: int
    reason: str | None
    reference: str | None
    order_id: int | None
    actor: str | None
    created_at: datetime
