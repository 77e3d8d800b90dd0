"""Stock: levels, movements and what is available to promise. Pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

# on_hand is a PostgreSQL integer; a change that would pass this is refused, not overflowed.
MAX_ON_HAND = 2_147_483_647
MAX_ADJUSTMENTS_PER_CALL = 1000

T = TypeVar("T")


class LedgerKind(StrEnum):
    """The kinds of stock movement, as the ledger's CHECK constraint lists them."""

    RECEIVED = "received"
    ADJUSTED = "adjusted"
    RESERVED = "reserved"
    RELEASED = "released"
    SHIPPED = "shipped"
    RETURNED = "returned"
    TRANSFERRED = "transferred"


class AdjustmentReason(StrEnum):
    """Why someone changed the stock by hand; `received` is a receipt, the rest corrections."""

    RECEIVED = "received"
    CYCLE_COUNT = "cycle_count"
    DAMAGED = "damaged"
    LOST = "lost"
    FOUND = "found"
    CORRECTION = "correction"
    OTHER = "other"
    # A count a 3PL (or a supplier) reported, accepted by a person (docs/fulfillment.md).
    THREE_PL_COUNT = "3pl_count"

    @property
    def ledger_kind(self) -> LedgerKind:
        return LedgerKind.RECEIVED if self is AdjustmentReason.RECEIVED else LedgerKind.ADJUSTED


# The reason written on ledger rows made by a stock import.
IMPORT_REASON = "import"


def available(on_hand: int, reserved: int, safety_stock: int) -> int:
    """What can still be promised to a new order: never negative."""
    return max(on_hand - reserved - safety_stock, 0)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A hand-made change of one stock level, by SKU and location code.

    Exactly one of ``delta`` (add or remove units, never zero) and ``set_on_hand`` (a count
    that replaces the on-hand figure) is given.
    """

    sku: str
    location: str
    reason: AdjustmentReason
    delta: int | None = None
    set_on_hand: int | None = None
    reference: str | None = None

    def problem(self) -> tuple[str, str] | None:
        """The first thing wrong with this adjustment as (field, message), or None."""
        if (self.delta is None) == (self.set_on_hand is None):
            return "delta", "give exactly one of delta and set_on_hand"
        if self.delta == 0:
            return "delta", "delta must not be zero"
        if self.delta is not None and abs(self.delta) > MAX_ON_HAND:
            return "delta", f"delta must be between -{MAX_ON_HAND} and {MAX_ON_HAND}"
        if self.set_on_hand is not None and not 0 <= self.set_on_hand <= MAX_ON_HAND:
            return "set_on_hand", f"set_on_hand must be between 0 and {MAX_ON_HAND}"
        return None


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move available units of one SKU from one location to another."""

    sku: str
    from_location: str
    to_location: str
    quantity: int
    reference: str | None = None

    def problem(self) -> tuple[str, str] | None:
        if self.quantity <= 0:
            return "quantity", "quantity must be greater than zero"
        if self.quantity > MAX_ON_HAND:
            return "quantity", f"quantity must be at most {MAX_ON_HAND}"
        if self.from_location == self.to_location:
            return "to_location", "a transfer needs two different locations"
        return None


@dataclass(frozen=True, slots=True)
class SafetyStockSetting:
    """Units held back from promising at one location; not stock, so no ledger row."""

    sku: str
    location: str
    safety_stock: int

    def problem(self) -> tuple[str, str] | None:
        if not 0 <= self.safety_stock <= MAX_ON_HAND:
            return "safety_stock", f"safety_stock must be between 0 and {MAX_ON_HAND}"
        return None


@dataclass(frozen=True, slots=True)
class Level:
    """One stock level as stored, by ids."""

    sku_id: int
    location_id: int
    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.sku_id, self.location_id)

    @property
    def available(self) -> int:
        return available(self.on_hand, self.reserved, self.safety_stock)


@dataclass(frozen=True, slots=True)
class StockLevelView:
    """One stock level as people name it, by SKU and location code."""

    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    active: bool = True

    @property
    def available(self) -> int:
        return available(self.on_hand, self.reserved, self.safety_stock)


# A level as the stock picture reads it: (location code, location active, on_hand, reserved,
# safety_stock). A plain tuple: a SKU stocked across the network has a level at each of
# hundreds of locations, and an object per level costs more than the query.
LevelRow = tuple[str, bool, int, int, int]


@dataclass(frozen=True, slots=True)
class StockTotals:
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0
    available: int = 0

    @classmethod
    def of(cls, levels: Iterable[StockLevelView]) -> StockTotals:
        """Network totals: only active locations can fulfil, so only they count."""
        counted = [level for level in levels if level.active]
        return cls(
            on_hand=sum(level.on_hand for level in counted),
            reserved=sum(level.reserved for level in counted),
            safety_stock=sum(level.safety_stock for level in counted),
            available=sum(level.available for level in counted),
        )

    @classmethod
    def of_rows(cls, levels: Iterable[LevelRow]) -> StockTotals:
        """`of` over level rows (see `SkuLevels`), in one pass."""
        on_hand = reserved = safety_stock = free = 0
        for _, active, units, held, kept in levels:
            if active:
                on_hand += units
                reserved += held
                safety_stock += kept
                free += available(units, held, kept)
        return cls(on_hand=on_hand, reserved=reserved, safety_stock=safety_stock, available=free)


@dataclass(frozen=True, slots=True)
class SkuLevels:
    """A SKU with its level at every location that holds one, in location order, as columns
    (as PostgreSQL aggregates them: a column of hundreds of values is read much faster than
    hundreds of rows). Empty when the SKU has no stock yet."""

    sku_id: int
    sku: str
    locations: Sequence[str] = ()
    active: Sequence[bool] = ()
    on_hand: Sequence[int] = ()
    reserved: Sequence[int] = ()
    safety_stock: Sequence[int] = ()

    def levels(self) -> Iterator[LevelRow]:
        return zip(
            self.locations, self.active, self.on_hand, self.reserved, self.safety_stock, strict=True
        )


@dataclass(frozen=True, slots=True)
class StockPicture:
    """A page of SKUs by id, with all their levels. `shown` are the codes of the locations
    whose rows the caller asked to see (None: all of them); the totals always cover the whole
    network."""

    items: list[SkuLevels]
    shown: frozenset[str] | None
    next_cursor: str | None

    def is_shown(self, location: str) -> bool:
        return self.shown is None or location in self.shown


@dataclass(frozen=True, slots=True)
class SkuStock:
    """A SKU's levels at every location that holds a level for it, plus network totals."""

    sku: str
    locations: tuple[StockLevelView, ...]
    totals: StockTotals


@dataclass(frozen=True, slots=True)
class StockPage:
    items: list[SkuStock]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger row, by SKU and location code."""

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


@dataclass(frozen=True, slots=True)
class MovementPage:
    items: list[Movement]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A level whose figures differ from the sums of its ledger rows."""

    sku_id: int
    location_id: int
    on_hand: int
    reserved: int
    ledger_on_hand: int
    ledger_reserved: int


def in_locking_order(items: Iterable[tuple[tuple[int, int], T]]) -> list[tuple[tuple[int, int], T]]:
    """Sort work by (sku_id, location_id): every writer touches levels in this one order, so
    two transactions never wait for each other in a cycle. The sort is stable, so several
    changes of one level keep the order they were given in."""
    return sorted(items, key=lambda item: item[0])
