"""Locations: the places that hold stock and fulfil orders. Pure rules, no I/O."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    THIRD_PARTY_LOGISTICS = "3pl"
    SUPPLIER = "supplier"


class Capability(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    SHIP_FROM_STORE = "ship_from_store"
    RETURNS = "returns"


DEFAULT_TIMEZONE = "UTC"
DEFAULT_PRIORITY = 100

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def is_country_code(value: str) -> bool:
    """An ISO 3166-1 alpha-2 code is two uppercase letters."""
    return bool(COUNTRY_CODE.match(value))


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """True for an IANA time zone name such as ``America/New_York``."""
    return name in _known_timezones()


@dataclass(frozen=True, slots=True)
class LocationRef:
    """What other features (inventory, orders, sourcing) need to know about a location."""

    id: int
    code: str
    kind: LocationKind
    country: str
    capabilities: tuple[Capability, ...]
    active: bool
    priority: int
    latitude: float | None
    longitude: float | None
    ships_to: tuple[str, ...] = ()

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def ships_to_country(self, country: str) -> bool:
        return country in (self.ships_to or (self.country,))
