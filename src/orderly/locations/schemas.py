from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from orderly.locations.domain import (
    DEFAULT_PRIORITY,
    DEFAULT_TIMEZONE,
    Capability,
    LocationKind,
    is_country_code,
    is_timezone,
)

INT4_MAX = 2_147_483_647
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no name or code needs a control character.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _country(value: str) -> str:
    if not is_country_code(value):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'US'")
    return value


def _timezone(value: str) -> str:
    if not is_timezone(value):
        raise ValueError("must be an IANA time zone name such as 'America/New_York'")
    return value


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_printable),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
CountryCode = Annotated[str, StringConstraints(max_length=2), AfterValidator(_country)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Capabilities = Annotated[list[Capability], AfterValidator(_distinct)]
ShipsTo = Annotated[
    list[CountryCode], Field(min_length=1, max_length=250), AfterValidator(_distinct)
]
Capacity = Annotated[int, Field(ge=0, le=INT4_MAX)]
Priority = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: Text
    line2: Text | None = None
    city: Text
    region: Text | None = None
    postal_code: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=20),
        AfterValidator(_printable),
    ]
    country: CountryCode


class SalesTax(BaseModel):
    """The sales tax a store adds at its counter, e.g. {"name": "NY sales tax", "rate":
    "8.875"} (percent, on top of the price)."""

    model_config = ConfigDict(extra="forbid")

    name: Text
    rate: Annotated[
        str,
        StringConstraints(pattern=r"^(100(\.0{1,4})?|\d{1,2}(\.\d{1,4})?)$"),
        Field(description="Percent, from 0 to 100 with up to 4 decimals", examples=["8.875"]),
    ]


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Text
    kind: LocationKind
    address: Address
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    capabilities: Capabilities = []
    timezone: TimeZone = DEFAULT_TIMEZONE
    daily_order_capacity: Capacity | None = None
    priority: Priority = Field(DEFAULT_PRIORITY, description="Lower is preferred")
    ships_to: ShipsTo | None = Field(
        None, description="Countries this location ships to; defaults to its own country"
    )
    group: Code | None = Field(None, description="Code of the location group it belongs to")
    sales_tax: SalesTax | None = None

    @model_validator(mode="after")
    def _coordinates_come_in_pairs(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class LocationPatch(BaseModel):
    """A partial update: only the fields sent change; `code` cannot change."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    kind: LocationKind | None = None
    address: Address | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    capabilities: Capabilities | None = None
    timezone: TimeZone | None = None
    daily_order_capacity: Capacity | None = None
    priority: Priority | None = None
    ships_to: ShipsTo | None = None
    group: Code | None = None
    sales_tax: SalesTax | None = None

    @field_validator("name", "kind", "address", "capabilities", "timezone", "priority", "ships_to")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators run only on fields that were sent, so this refuses an explicit null.
        if value is None:
            raise ValueError("may not be null")
        return value

    @model_validator(mode="after")
    def _coordinates_come_in_pairs(self) -> Self:
        sent = {"latitude", "longitude"} & self.model_fields_set
        if sent and (
            sent != {"latitude", "longitude"} or (self.latitude is None) != (self.longitude is None)
        ):
            raise ValueError("change latitude and longitude together")
        return self


class LocationOut(BaseModel):
    id: int
    code: str
    name: str
    kind: LocationKind
    group: str | None
    address: Address
    country: str
    latitude: float | None
    longitude: float | None
    timezone: str
    capabilities: list[Capability]
    ships_to: list[str]
    daily_order_capacity: int | None
    priority: int
    active: bool
    sales_tax: SalesTax | None = None
    created_at: datetime
    updated_at: datetime
