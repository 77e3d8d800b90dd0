"""Rate cards: a carrier's services, prices by zone and weight bracket, and surcharges, from CSV.

The file's columns and how a parcel is priced: docs/shipping.md.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from orderly.kit.money import MoneyError, from_minor, to_minor
from orderly.shipping.errors import RateCardInvalid

HEADER = (
    "kind",
    "service",
    "name",
    "zone",
    "max_weight_grams",
    "transit_days",
    "price",
    "currency",
)
SURCHARGES = ("residential", "hazmat", "oversize")
ALL_SERVICES = "*"
FIRST_DATA_LINE = 2
MAX_ROWS = 20_000


@dataclass
class ServiceRates:
    code: str
    name: str
    currency: str
    # zone -> sorted [(max_weight_grams, price_minor)]
    brackets: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    transit_days: dict[int, int] = field(default_factory=dict)

    def price(self, zone: int, billable_grams: int) -> int | None:
        for max_grams, price in self.brackets.get(zone, []):
            if billable_grams <= max_grams:
                return price
        return None


@dataclass
class RateCard:
    services: dict[str, ServiceRates] = field(default_factory=dict)
    # (service code or "*", surcharge name) -> minor units
    surcharges: dict[tuple[str, str], int] = field(default_factory=dict)

    def surcharge(self, service: str, name: str) -> int:
        return self.surcharges.get((service, name), self.surcharges.get((ALL_SERVICES, name), 0))

    def to_json(self) -> dict[str, Any]:
        return {
            "services": [
                {
                    "code": s.code,
                    "name": s.name,
                    "currency": s.currency,
                    "brackets": {str(z): b for z, b in s.brackets.items()},
                    "transit_days": {str(z): d for z, d in s.transit_days.items()},
                }
                for s in self.services.values()
            ],
            "surcharges": [[svc, name, price] for (svc, name), price in self.surcharges.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RateCard:
        card = cls()
        for s in data.get("services", []):
            card.services[s["code"]] = ServiceRates(
                code=s["code"],
                name=s["name"],
                currency=s["currency"],
                brackets={
                    int(z): [(int(w), int(p)) for w, p in b] for z, b in s["brackets"].items()
                },
                transit_days={int(z): int(d) for z, d in s["transit_days"].items()},
            )
        for svc, name, price in data.get("surcharges", []):
            card.surcharges[(svc, name)] = int(price)
        return card

    def summary(self) -> dict[str, Any]:
        return {
            "services": [
                {
                    "code": s.code,
                    "name": s.name,
                    "currency": s.currency,
                    "zones": sorted(s.brackets),
                }
                for s in self.services.values()
            ],
            "surcharges": [
                {
                    "service": svc,
                    "name": name,
                    "price": from_minor(price, self._currency_of(svc)),
                }
                for (svc, name), price in self.surcharges.items()
            ],
        }

    def _currency_of(self, service: str) -> str:
        if service in self.services:
            return self.services[service].currency
        return next(iter(self.services.values())).currency if self.services else "USD"


def parse_rate_card(csv_text: str) -> RateCard:
    """Parse and check a whole rate card; a bad row is reported by line and column."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [h for h in HEADER if h not in (reader.fieldnames or [])]
    if missing:
        raise _bad(1, missing[0], f"the header must be {','.join(HEADER)}")
    card = RateCard()
    surcharge_rows: list[tuple[int, dict[str, str]]] = []
    for line, row in enumerate(reader, start=FIRST_DATA_LINE):
        if line - FIRST_DATA_LINE >= MAX_ROWS:
            raise _bad(line, "kind", f"a rate card has at most {MAX_ROWS} rows")
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cells.values()):
            continue
        kind = cells["kind"].lower()
        if kind == "rate":
            _add_rate(card, line, cells)
        elif kind == "surcharge":
            surcharge_rows.append((line, cells))
        else:
            raise _bad(line, "kind", "must be 'rate' or 'surcharge'")
    if not card.services:
        raise _bad(FIRST_DATA_LINE, "kind", "the rate card has no rate rows")
    for line, cells in surcharge_rows:
        _add_surcharge(card, line, cells)
    for rates in card.services.values():
        for brackets in rates.brackets.values():
            brackets.sort()
    return card


def _add_rate(card: RateCard, line: int, cells: dict[str, str]) -> None:
    code = _text(line, cells, "service")
    name = cells["name"] or code
    zone = _integer(line, cells, "zone", low=1, high=9)
    max_grams = _integer(line, cells, "max_weight_grams", low=1, high=1_000_000)
    days = _integer(line, cells, "transit_days", low=0, high=60)
    currency = _text(line, cells, "currency").upper()
    price = _price(line, cells, currency)
    rates = card.services.setdefault(code, ServiceRates(code=code, name=name, currency=currency))
    if rates.currency != currency:
        raise _bad(line, "currency", f"service {code} is priced in {rates.currency}")
    known = rates.transit_days.setdefault(zone, days)
    if known != days:
        raise _bad(line, "transit_days", f"zone {zone} of {code} already takes {known} days")
    bracket = rates.brackets.setdefault(zone, [])
    if any(w == max_grams for w, _ in bracket):
        raise _bad(line, "max_weight_grams", f"a duplicate bracket for {code} zone {zone}")
    bracket.append((max_grams, price))


def _add_surcharge(card: RateCard, line: int, cells: dict[str, str]) -> None:
    service = _text(line, cells, "service")
    if service != ALL_SERVICES and service not in card.services:
        raise _bad(line, "service", f"no rate rows for service {service!r}")
    name = cells["name"].lower()
    if name not in SURCHARGES:
        raise _bad(line, "name", f"a surcharge is one of {', '.join(SURCHARGES)}")
    currency = (cells["currency"] or card._currency_of(service)).upper()
    card.surcharges[(service, name)] = _price(line, cells, currency)


def _text(line: int, cells: dict[str, str], column: str) -> str:
    value = cells[column]
    if not value or len(value) > 64:
        raise _bad(line, column, "is required (at most 64 characters)")
    return value


def _integer(line: int, cells: dict[str, str], column: str, *, low: int, high: int) -> int:
    try:
        value = int(cells[column])
    except ValueError:
        raise _bad(line, column, f"{cells[column]!r} is not a whole number") from None
    if not low <= value <= high:
        raise _bad(line, column, f"must be between {low} and {high}")
    return value


def _price(line: int, cells: dict[str, str], currency: str) -> int:
    try:
        value = to_minor(cells["price"], currency)
    except MoneyError as error:
        raise _bad(line, "price", str(error)) from None
    if value < 0:
        raise _bad(line, "price", "must not be negative")
    return value


def _bad(line: int, column: str, message: str) -> RateCardInvalid:
    return RateCardInvalid(
        f"line {line}: {column}: {message}",
        field=column,
        extra={"line": line},
    )
