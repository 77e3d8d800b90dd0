"""The routing configuration: an ordered list of rules plus a cost table, validated by pydantic.

Stored as JSON per organization (the default) and per channel. A channel's configuration
overrides the default key by key: a channel that sets only `rules` keeps the default `costs`.
Money is a decimal string in the organization's currency, as everywhere in the API.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Amount = Annotated[
    str,
    StringConstraints(pattern=r"^\d{1,9}(\.\d{1,2})?$"),
    Field(description='A non-negative decimal string such as "2.50"', examples=["2.50"]),
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LocationKind = Literal["warehouse", "store", "3pl", "supplier"]


def amount_minor(amount: str) -> int:
    """A decimal string in minor units (cents); fractions of a cent are dropped."""
    return int(Decimal(amount) * 100)


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RankBy(StrEnum):
    SHIPMENTS = "shipments"
    COST = "cost"
    PRIORITY = "priority"
    DISTANCE = "distance"


class SplitPolicy(StrEnum):
    NEVER = "never"
    WHEN_NEEDED = "when_needed"
    ALLOWED = "allowed"


class BackorderPolicy(StrEnum):
    BACKORDER = "backorder"
    HOLD_ORDER = "hold_order"
    CANCEL_LINE = "cancel_line"


# --- rules, applied in the order they are listed -----------------------------------------


class LocationKindsRule(Closed):
    type: Literal["location_kinds"]
    kinds: list[LocationKind] = Field(min_length=1)


class CapabilitiesRule(Closed):
    type: Literal["capabilities"]
    require: list[Code] = Field(min_length=1)


class ExcludeLocationsRule(Closed):
    type: Literal["exclude_locations"]
    locations: list[Code] = Field(min_length=1)


class MaxDistanceRule(Closed):
    type: Literal["max_distance"]
    km: float = Field(gt=0, le=40_000)


class CapacityRule(Closed):
    """Daily capacity is always respected; `utilisation` keeps part of it for other channels."""

    type: Literal["capacity"]
    utilisation: float = Field(1.0, gt=0, le=1)


class RankRule(Closed):
    type: Literal["rank"]
    by: list[RankBy] = Field(min_length=1, max_length=4)


class SplitRule(Closed):
    type: Literal["split"]
    policy: SplitPolicy = SplitPolicy.WHEN_NEEDED
    max_shipments: int | None = Field(None, ge=1, le=20)
    min_shipment_value: Amount | None = None


class BackorderRule(Closed):
    type: Literal["backorder"]
    policy: BackorderPolicy = BackorderPolicy.BACKORDER


FilterRule = LocationKindsRule | CapabilitiesRule | ExcludeLocationsRule | MaxDistanceRule
Rule = Annotated[
    FilterRule | CapacityRule | RankRule | SplitRule | BackorderRule,
    Field(discriminator="type"),
]


# --- costs ------------------------------------------------------------------------------


class Zone(Closed):
    """A shipping zone: destinations up to `max_km` away pay `base` plus `per_kg`."""

    max_km: float = Field(gt=0)
    base: Amount
    per_kg: Amount
    transit_days: int = Field(ge=0, le=60)


class HandlingCosts(Closed):
    default: Amount = "2.00"
    kinds: dict[LocationKind, Amount] = Field(default_factory=dict)
    locations: dict[Code, Amount] = Field(default_factory=dict)
    # Days between an order and its shipment, by location kind (0: ships the same day).
    lead_days: dict[LocationKind, int] = Field(default_factory=dict)


def _default_zones() -> list[Zone]:
    # Ground parcel rates by distance band, in the spirit of the US carriers' zones 2 to 8.
    bands = [
        (80, "5.50", "0.40", 1),
        (480, "6.50", "0.60", 2),
        (970, "7.50", "0.80", 3),
        (1450, "8.50", "1.00", 4),
        (2400, "9.50", "1.30", 5),
        (2900, "10.50", "1.55", 5),
        (20_100, "11.50", "1.80", 6),
    ]
    return [Zone(max_km=k, base=b, per_kg=p, transit_days=t) for k, b, p, t in bands]


class ShippingCosts(Closed):
    zones: list[Zone] = Field(default_factory=_default_zones, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _zones_grow(self) -> ShippingCosts:
        limits = [z.max_km for z in self.zones]
        if limits != sorted(limits) or len(set(limits)) != len(limits):
            raise ValueError("zones must be listed by increasing max_km")
        return self


class Costs(Closed):
    handling: HandlingCosts = Field(default_factory=HandlingCosts)
    shipping: ShippingCosts = Field(default_factory=ShippingCosts)


def _default_rules() -> list[Rule]:
    return [
        CapacityRule(type="capacity"),
        RankRule(type="rank", by=[RankBy.SHIPMENTS, RankBy.COST]),
        SplitRule(type="split"),
        BackorderRule(type="backorder"),
    ]


class RoutingConfig(Closed):
    rules: list[Rule] = Field(default_factory=_default_rules, max_length=50)
    costs: Costs = Field(default_factory=Costs)

    @model_validator(mode="after")
    def _one_of_each_policy(self) -> RoutingConfig:
        for kind in ("capacity", "rank", "split", "backorder"):
            if sum(1 for r in self.rules if r.type == kind) > 1:
                raise ValueError(f"rules may hold at most one {kind!r} rule")
        return self

    @property
    def filters(self) -> list[FilterRule]:
        return [
            r
            for r in self.rules
            if isinstance(
                r, LocationKindsRule | CapabilitiesRule | ExcludeLocationsRule | MaxDistanceRule
            )
        ]

    @property
    def ranking(self) -> tuple[RankBy, ...]:
        rule = next((r for r in self.rules if isinstance(r, RankRule)), None)
        return tuple(rule.by) if rule else (RankBy.SHIPMENTS, RankBy.COST)

    @property
    def split(self) -> SplitRule:
        rule = next((r for r in self.rules if isinstance(r, SplitRule)), None)
        return rule or SplitRule(type="split")

    @property
    def backorder(self) -> BackorderPolicy:
        rule = next((r for r in self.rules if isinstance(r, BackorderRule)), None)
        return rule.policy if rule else BackorderPolicy.BACKORDER

    @property
    def utilisation(self) -> float:
        rule = next((r for r in self.rules if isinstance(r, CapacityRule)), None)
        return rule.utilisation if rule else 1.0


DEFAULT_CONFIG = RoutingConfig()
