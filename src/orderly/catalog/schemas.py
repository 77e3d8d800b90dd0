from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from orderly.catalog.domain import NewSku, is_valid_gtin
from orderly.kit.money import MoneyError, from_minor, to_minor

INT4_MAX = 2_147_483_647
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no name or code needs a control character.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _gtin(value: str) -> str:
    if not is_valid_gtin(value):
        raise ValueError("must be a GTIN of 8, 12, 13 or 14 digits with a valid GS1 check digit")
    return value


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
Gtin = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=14), AfterValidator(_gtin)
]


def _hs_code(value: str) -> str:
    # Written with dots or spaces on invoices ("6109.10.00"); carriers take the digits alone.
    digits = re.sub(r"[.\s]", "", value)
    if not re.fullmatch(r"[0-9]{6,10}", digits):
        raise ValueError("must be a Harmonized System code of 6 to 10 digits, such as '6109.10'")
    return digits


def _country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'PT'")
    return value


HsCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_hs_code)
]
CountryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, max_length=2),
    AfterValidator(_country),
]
Grams = Annotated[int, Field(ge=0, le=INT4_MAX)]
Millimetres = Annotated[int, Field(gt=0, le=INT4_MAX)]


HIGH_DEMAND = (
    "A launch or a flash sale: many buyers at once. Orders then reserve this SKU without "
    "holding its stock rows locked while they are planned, so they do not queue behind one "
    "another; an order that loses the last units to another meanwhile is answered 409 "
    "stock_contention (retryable). Stock is never oversold either way."
)

HS_CODE = (
    "Harmonized System code of the goods (6 to 10 digits; dots and spaces are dropped), "
    "declared to customs when a shipment crosses a border"
)
ORIGIN = "Country where the goods were made (ISO 3166-1 alpha-2), declared to customs"


class ListPrice(BaseModel):
    """The price a store charges at its counter, e.g. {"amount": "19.99", "currency": "USD"}."""

    model_config = ConfigDict(extra="forbid")

    amount: Annotated[str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,4})?$")]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

    @model_validator(mode="after")
    def _in_minor_units(self) -> ListPrice:
        self.minor()
        return self

    def minor(self) -> int:
        try:
            return to_minor(self.amount, self.currency)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    name: Text
    product: Code | None = Field(
        None, description="Code of the product (style) this SKU belongs to; defaults to the SKU"
    )
    gtin: Gtin | None = None
    weight_grams: Grams
    length_mm: Millimetres | None = None
    width_mm: Millimetres | None = None
    height_mm: Millimetres | None = None
    hazmat: bool = False
    hs_code: HsCode | None = Field(None, description=HS_CODE)
    country_of_origin: CountryCode | None = Field(None, description=ORIGIN)
    high_demand: bool = Field(False, description=HIGH_DEMAND)
    list_price: ListPrice | None = None

    def as_new_sku(self) -> NewSku:
        return NewSku(
            code=self.sku,
            name=self.name,
            product=self.product or self.sku,
            weight_grams=self.weight_grams,
            gtin=self.gtin,
            length_mm=self.length_mm,
            width_mm=self.width_mm,
            height_mm=self.height_mm,
            hazmat=self.hazmat,
            hs_code=self.hs_code,
            country_of_origin=self.country_of_origin,
            list_price_minor=self.list_price.minor() if self.list_price else None,
            list_price_currency=self.list_price.currency if self.list_price else None,
        )


class ProductPatch(BaseModel):
    """A partial update: only the fields sent change; `sku` cannot change."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    product: Code | None = None
    gtin: Gtin | None = None
    weight_grams: Grams | None = None
    length_mm: Millimetres | None = None
    width_mm: Millimetres | None = None
    height_mm: Millimetres | None = None
    hazmat: bool | None = None
    hs_code: HsCode | None = Field(None, description=HS_CODE)
    country_of_origin: CountryCode | None = Field(None, description=ORIGIN)
    high_demand: bool | None = Field(None, description=HIGH_DEMAND)
    list_price: ListPrice | None = Field(None, description="null takes the price away")

    def values(self) -> dict[str, Any]:
        """The columns to change."""
        values: dict[str, Any] = self.model_dump(
            exclude_unset=True, exclude={"product", "list_price"}
        )
        if "list_price" in self.model_fields_set:
            price = self.list_price
            values["list_price_minor"] = price.minor() if price else None
            values["list_price_currency"] = price.currency if price else None
        return values

    @field_validator("name", "product", "weight_grams", "hazmat", "high_demand")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators run only on fields that were sent, so this refuses an explicit null.
        if value is None:
            raise ValueError("may not be null")
        return value


class ProductOut(BaseModel):
    id: int
    sku: str
    product: str
    name: str
    gtin: str | None
    weight_grams: int
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    hazmat: bool
    hs_code: str | None
    country_of_origin: str | None
    high_demand: bool
    active: bool
    list_price: ListPrice | None = None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _price_from_columns(cls, data: Any) -> Any:
        if isinstance(data, BaseModel) or not hasattr(data, "get"):
            return data
        minor, currency = data.get("list_price_minor"), data.get("list_price_currency")
        values = dict(data)
        if minor is not None and currency is not None:
            values["list_price"] = {"amount": from_minor(minor, currency), "currency": currency}
        return values
