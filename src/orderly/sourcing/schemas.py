"""The sourcing API's shapes: routing configurations and simulations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orderly.sourcing.config import RoutingConfig

Amount = Annotated[str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,4})?$", max_length=17)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class RoutingConfigOut(BaseModel):
    channel: str | None = Field(description="The channel's own configuration; null: the default")
    saved: bool = Field(description="False when nothing is saved and the defaults apply")
    updated_at: datetime | None
    config: RoutingConfig


class SimulationLineIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sku: Code
    quantity: int = Field(gt=0, le=100_000)
    unit_price: Amount = "0"


class SimulationAddressIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class SimulateIn(BaseModel):
    """A hypothetical order (the fields of POST /v1/orders that sourcing reads; the others are
    ignored) or an existing one (`order_id`), and optionally a configuration to try."""

    model_config = ConfigDict(extra="ignore")

    order_id: int | None = Field(None, gt=0)
    channel: Code = "web"
    lines: list[SimulationLineIn] | None = Field(None, min_length=1, max_length=500)
    shipping_address: SimulationAddressIn | None = None
    delivery_method: Annotated[str, StringConstraints(pattern="^(ship|pickup)$")] = "ship"
    pickup_location: Code | None = None
    requested_delivery_date: date | None = None
    config: RoutingConfig | None = Field(
        None, description="A configuration to try; the saved one for the channel when omitted"
    )

    @model_validator(mode="after")
    def _an_order(self) -> SimulateIn:
        if self.order_id is None and not self.lines:
            raise ValueError("give either order_id or lines")
        if self.order_id is None and self.delivery_method == "pickup":
            if not self.pickup_location:
                raise ValueError("pickup_location is required when delivery_method is pickup")
        elif self.order_id is None and self.shipping_address is None:
            raise ValueError("shipping_address is required when delivery_method is ship")
        return self


class ShipmentLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int


class ShipmentOut(BaseModel):
    location: str
    lines: list[ShipmentLineOut]
    weight_grams: int
    value: str
    estimated_cost: str
    distance_km: float | None
    estimated_ship_date: date | None


class LocationDecisionOut(BaseModel):
    location: str
    code: str = Field(description="Stable reason code, e.g. chosen, no_stock, over_capacity")
    detail: str
    chosen: bool


class SimulationOut(BaseModel):
    order_id: int | None
    channel: str
    shipments: list[ShipmentOut]
    backordered: dict[str, int] = Field(description="Short units by line number")
    backorder_policy: str
    estimated_cost: str | None
    estimated_ship_date: date | None
    estimated_delivery_date: date | None
    explanation: list[str]
    locations: list[LocationDecisionOut]
    config: RoutingConfig
