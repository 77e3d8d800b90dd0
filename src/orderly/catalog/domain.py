"""Catalog: products (the style a customer browses) and SKUs (the unit stocked and sold)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# GTIN-8 (EAN-8), GTIN-12 (UPC-A), GTIN-13 (EAN-13) and GTIN-14 (case codes).
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_DIGITS = re.compile(r"^[0-9]+$")


def gtin_check_digit(digits: str) -> int:
    """The GS1 check digit for a GTIN without its last digit.

    From the right, digits are weighted 3, 1, 3, 1, ...; the check digit brings the sum
    up to a multiple of ten.
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    if len(code) not in GTIN_LENGTHS or not _DIGITS.match(code):
        return False
    return gtin_check_digit(code[:-1]) == int(code[-1])


@dataclass(frozen=True, slots=True)
class SkuRef:
    """What other features (inventory, orders, shipping) need to know about a SKU."""

    id: int
    code: str
    name: str
    weight_grams: int
    active: bool


@dataclass(frozen=True, slots=True)
class NewSku:
    """A SKU to create or overwrite, already validated; `product` is its style code."""

    code: str
    name: str
    product: str
    weight_grams: int
    gtin: str | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    hazmat: bool = False
    hs_code: str | None = None
    country_of_origin: str | None = None
    list_price_minor: int | None = None
    list_price_currency: str | None = None


@dataclass(frozen=True, slots=True)
class CustomsFacts:
    """What a customs declaration needs to know about a SKU; None where the catalog lacks it."""

    sku_id: int
    code: str
    name: str
    weight_grams: int
    hs_code: str | None
    country_of_origin: str | None
