"""DHL Express's network as the fake knows it: countries, postal code forms, the products between
two countries with their prices and transit times, and the business checks that rates and
shipments share (ship date, address, weight per piece)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.shipping.carriers.fakes.dhl.problems import bad_request

MAX_PIECE_KG = Decimal(70)
COUNTRIES = frozenset(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU IC ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM "
    "KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP "
    "MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL "
    "PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST "
    "SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG "
    "VI VN VU WF WS XK YE YT ZA ZM ZW".split()
)
EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
POSTAL_CODES = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "ES": r"\d{5}",
    "IT": r"\d{5}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "CZ": r"\d{3} ?\d{2}",
    "JP": r"\d{3}-?\d{4}",
    "AU": r"\d{4}",
}
CURRENCIES = {"US": "USD", "GB": "GBP", "CA": "CAD", "JP": "JPY", "AU": "AUD", "CZ": "CZK"}


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    days: int
    time: str  # the estimated delivery's time of day
    base: Decimal  # price of the first half kilogram, in the account's billing currency
    per_half_kg: Decimal


DOMESTIC = (
    Product("N", "EXPRESS DOMESTIC", 1, "23:59:00", Decimal("14.50"), Decimal("0.90")),
    Product("1", "EXPRESS DOMESTIC 12:00", 1, "12:00:00", Decimal("21.00"), Decimal("1.20")),
)
WITHIN_EU = (
    Product("U", "EXPRESS WORLDWIDE", 2, "23:59:00", Decimal("32.00"), Decimal("2.10")),
    Product("T", "EXPRESS 12:00", 2, "12:00:00", Decimal("41.00"), Decimal("2.40")),
)
DUTIABLE = (
    Product("P", "EXPRESS WORLDWIDE", 3, "23:59:00", Decimal("58.00"), Decimal("4.30")),
    Product("Y", "EXPRESS 12:00", 3, "12:00:00", Decimal("71.00"), Decimal("4.90")),
)
DOCUMENTS = (
    Product("D", "EXPRESS WORLDWIDE", 3, "23:59:00", Decimal("45.00"), Decimal("3.80")),
    Product("T", "EXPRESS 12:00", 3, "12:00:00", Decimal("55.00"), Decimal("4.20")),
)


@dataclass
class Place:
    country: str
    postal_code: str
    city: str
    area: str
    area_name: str
    offset: str
    county: str = ""


PLANNED = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}) ?GMT([+-]\d{2}:\d{2})$")


def planned_date(value: str, today: date) -> date:
    """The day of `plannedShippingDateAndTime`, which must be in DHL's exact form, not in the
    past and at most 10 days ahead."""
    matched = PLANNED.match(value)
    try:
        if matched is None:
            raise ValueError(value)
        datetime.fromisoformat(f"{matched.group(1)}T{matched.group(2)}{matched.group(3)}")
    except ValueError:
        raise bad_request(
            "998: ShipTimeStamp is not well formatted.(Expected Sample Format : "
            "'2010-02-11T17:10:09 GMT+01:00')"
        ) from None
    day = date.fromisoformat(matched.group(1))
    if day < today or day > today + timedelta(days=10):
        raise bad_request("998: ShipTimeStamp must not be in the past nor more than 10 days ahead")
    return day


def check_address(address: dict[str, Any], path: str) -> None:
    country = address["countryCode"]
    if country not in COUNTRIES:
        raise bad_request(f"#{path}/countryCode: {country} is not a valid country code")
    pattern = POSTAL_CODES.get(country)
    postal = address["postalCode"].strip().upper()
    if pattern and not re.fullmatch(pattern, postal):
        said = f"postal code [{postal}]" if postal else "a postal code"
        raise bad_request(f"#{path}/postalCode: {country} needs {said} in its format")


def check_weights(packages: list[dict[str, Any]], path: str) -> None:
    for index, package in enumerate(packages):
        weight = Decimal(package["weight"])
        if weight > MAX_PIECE_KG:
            raise bad_request(
                f"#{path}/{index}/weight: a piece of {weight} kg is over the "
                f"{MAX_PIECE_KG} kg a piece DHL Express carries"
            )


def products_between(origin: str, destination: str, dutiable: bool) -> tuple[Product, ...]:
    if origin == destination:
        return DOMESTIC
    if origin in EU and destination in EU:
        return WITHIN_EU
    return DUTIABLE if dutiable else DOCUMENTS


def billing_currency(origin: str) -> str:
    return CURRENCIES.get(origin, "EUR")


def price(product: Product, packages: list[dict[str, Any]], currency: str) -> Decimal:
    """The account's price: per started half kilogram of each piece's billed weight (the larger
    of its real weight and its volume / 5000)."""
    halves = 0
    for package in packages:
        sides = package["dimensions"]
        volume = Decimal(sides["length"]) * Decimal(sides["width"]) * Decimal(sides["height"])
        billed = max(Decimal(package["weight"]), volume / 5000)
        halves += max(1, math.ceil(billed * 2))
    amount = product.base + product.per_half_kg * (halves - 1)
    # Yen have no minor unit (and are worth about a hundred and fifty times less).
    if currency == "JPY":
        return (amount * 150).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def arrival(day: date, product: Product) -> tuple[date, str]:
    """The estimated delivery day, and DHL's date and time of it."""
    current, left = day, product.days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current, f"{current.isoformat()}T{product.time}"
