"""Stock use cases: adjustments, transfers, safety stock, the stock picture and the ledger.

Reserving stock for orders lives in `reservations.py`. Every writer here touches levels in
(sku_id, location_id) order and changes them only through guarded statements that write
their ledger row in the same statement (see `repository.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory import lookups, picture, repository
from orderly.inventory.arrivals import stock_arrived
from orderly.inventory.domain import (
    Adjustment,
    LedgerKind,
    Level,
    LevelRow,
    Mismatch,
    Movement,
    MovementPage,
    SafetyStockSetting,
    SkuStock,
    StockLevelView,
    StockPage,
    StockPicture,
    StockTotals,
    Transfer,
    in_locking_order,
)
from orderly.inventory.errors import (
    InsufficientStock,
    InvalidStockChange,
    UnknownSku,
)
from orderly.kit.pagination import encode_cursor, id_cursor

Key = tuple[int, int]

__all__ = [
    "Adjustment",
    "Mismatch",
    "SafetyStockSetting",
    "StockLevelView",
    "Transfer",
    "adjust_stock",
    "ledger_matches_levels",
    "movements",
    "set_safety_stock",
    "stock_levels",
    "stock_picture",
    "transfer_stock",
]


async def adjust_stock(
    conn: AsyncConnection, org_id: int, actor: str, adjustments: Sequence[Adjustment]
) -> list[StockLevelView]:
    """Apply every adjustment or none (raise, and the caller's transaction rolls back).

    Returns the resulting level of each (sku, location) named, in the order first named.
    """
    for i, adjustment in enumerate(adjustments):
        _raise_problem(adjustment.problem(), f"adjustments.{i}")
    codes = await lookups.resolve(
        conn,
        org_id,
        [(f"adjustments.{i}", a.sku, a.location) for i, a in enumerate(adjustments)],
    )
    work = in_locking_order(
        (codes.key(a.sku, a.location), (i, a)) for i, a in enumerate(adjustments)
    )
    await repository.ensure_levels(conn, org_id, [key for key, _ in work])
    results: dict[Key, Level] = {}
    for key, (i, adjustment) in work:
        level = await _apply(conn, org_id, key, adjustment, actor)
        if level is None:
            raise await _refused(conn, org_id, key, adjustment, f"adjustments.{i}")
        results[key] = level
    await stock_arrived(
        conn, org_id, {k[0] for k, (_, a) in work if a.delta is None or a.delta > 0}
    )
    named = dict.fromkeys(codes.key(a.sku, a.location) for a in adjustments)
    return [codes.view(results[key]) for key in named]


async def transfer_stock(
    conn: AsyncConnection, org_id: int, actor: str, transfer: Transfer
) -> list[StockLevelView]:
    """Move available units; returns the source level, then the destination level.

    Only available units move (not reserved, not safety stock). Stock may be moved out of an
    inactive location, to drain it, but not into one.
    """
    _raise_problem(transfer.problem(), None)
    codes = await lookups.resolve(
        conn,
        org_id,
        [
            ("from_location", transfer.sku, transfer.from_location),
            ("to_location", transfer.sku, transfer.to_location),
        ],
        inactive_allowed={transfer.from_location},
    )
    source = codes.key(transfer.sku, transfer.from_location)
    destination = codes.key(transfer.sku, transfer.to_location)
    await repository.ensure_levels(conn, org_id, [destination])
    moved: dict[Key, Level | None] = {}
    for key in sorted((source, destination)):
        if key == source:
            moved[key] = await repository.take_available(
                conn,
                org_id,
                key,
                quantity=transfer.quantity,
                kind=LedgerKind.TRANSFERRED,
                reason=f"to {transfer.to_location}",
                reference=transfer.reference,
                actor=actor,
            )
        else:
            moved[key] = await repository.apply_delta(
                conn,
                org_id,
                key,
                delta=transfer.quantity,
                kind=LedgerKind.TRANSFERRED,
                reason=f"from {transfer.from_location}",
                reference=transfer.reference,
                actor=actor,
            )
        if moved[key] is None:
            raise await _transfer_refused(conn, org_id, key, transfer, codes)
    await stock_arrived(conn, org_id, {destination[0]})
    return [codes.view(level) for level in (moved[source], moved[destination]) if level]


async def set_safety_stock(
    conn: AsyncConnection, org_id: int, settings: Sequence[SafetyStockSetting]
) -> list[StockLevelView]:
    """Set how many units each level holds back from promising. Not a stock movement, so no
    ledger row; it may exceed what is on hand (then nothing is available there)."""
    for i, setting in enumerate(settings):
        _raise_problem(setting.problem(), f"levels.{i}")
    codes = await lookups.resolve(
        conn,
        org_id,
        [(f"levels.{i}", s.sku, s.location) for i, s in enumerate(settings)],
        inactive_allowed={s.location for s in settings},
    )
    work = in_locking_order((codes.key(s.sku, s.location), s) for s in settings)
    await repository.ensure_levels(conn, org_id, [key for key, _ in work])
    results: dict[Key, Level] = {}
    for key, setting in work:
        results[key] = await repository.set_safety_stock(
            conn, org_id, key, safety_stock=setting.safety_stock
        )
    named = dict.fromkeys(codes.key(s.sku, s.location) for s in settings)
    return [codes.view(results[key]) for key in named]


async def stock_picture(
    conn: AsyncConnection,
    org_id: int,
    *,
    sku_codes: Sequence[str] | None = None,
    location_codes: Sequence[str] | None = None,
    limit: int,
    cursor: str | None = None,
) -> StockPicture:
    """The levels of each SKU per location, a page of SKUs by id, read in one statement.

    ``location_codes`` narrows which SKUs are listed (those with a level there) and which
    location rows are shown; the totals always cover the whole network. Only active
    locations count in the totals: an inactive one still shows its stock but cannot fulfil.
    A SKU asked for by code that has no level yet is listed with no locations and zeros.
    """
    after = id_cursor(cursor) or 0  # ids start at 1
    location_ids = await lookups.location_ids_for(conn, org_id, location_codes, field="location")
    named = list(dict.fromkeys(sku_codes)) if sku_codes else None
    found = await picture.stock_of_skus(
        conn, org_id, sku_codes=named, location_ids=location_ids, after=after, limit=limit
    )
    if named is not None:
        unknown = [("sku", code) for code in named if code not in found.listed]
        lookups.raise_unknown(UnknownSku, unknown, "SKU")
    more = sum(1 for sku_id in found.listed.values() if sku_id > after) > len(found.page)
    return StockPicture(
        items=found.page,
        shown=frozenset(location_codes) if location_codes else None,
        next_cursor=encode_cursor(found.page[-1].sku_id) if more and found.page else None,
    )


async def stock_levels(
    conn: AsyncConnection,
    org_id: int,
    *,
    sku_codes: Sequence[str] | None = None,
    location_codes: Sequence[str] | None = None,
    limit: int,
    cursor: str | None = None,
) -> StockPage:
    """`stock_picture` with a view per level shown, for pages that work with them."""
    picture = await stock_picture(
        conn,
        org_id,
        sku_codes=sku_codes,
        location_codes=location_codes,
        limit=limit,
        cursor=cursor,
    )
    items = [
        SkuStock(
            sku=item.sku,
            locations=tuple(
                _level_view(item.sku, level)
                for level in item.levels()
                if picture.is_shown(level[0])
            ),
            totals=StockTotals.of_rows(item.levels()),
        )
        for item in picture.items
    ]
    return StockPage(items=items, next_cursor=picture.next_cursor)


def _level_view(sku: str, level: LevelRow) -> StockLevelView:
    location, active, on_hand, reserved, safety_stock = level
    return StockLevelView(
        sku=sku,
        location=location,
        on_hand=on_hand,
        reserved=reserved,
        safety_stock=safety_stock,
        active=active,
    )


async def movements(
    conn: AsyncConnection,
    org_id: int,
    *,
    sku_codes: Sequence[str] | None = None,
    location_codes: Sequence[str] | None = None,
    limit: int,
    cursor: str | None = None,
) -> MovementPage:
    """Ledger rows, newest first."""
    sku_ids = await lookups.sku_ids_for(conn, org_id, sku_codes, field="sku")
    location_ids = await lookups.location_ids_for(conn, org_id, location_codes, field="location")
    rows = await repository.movements(
        conn,
        org_id,
        sku_ids=sku_ids,
        location_ids=location_ids,
        before_id=id_cursor(cursor),
        limit=limit + 1,
    )
    page = rows[:limit]
    sku_code = await lookups.sku_codes(conn, org_id, {row.sku_id for row in page})
    location_code = {
        ref.id: ref.code
        for ref in (await lookups.location_refs(conn, org_id, {row.location_id for row in page}))
    }
    items = [
        Movement(
            id=row.id,
            sku=sku_code[row.sku_id],
            location=location_code[row.location_id],
            kind=LedgerKind(row.kind),
            on_hand_delta=row.on_hand_delta,
            reserved_delta=row.reserved_delta,
            reason=row.reason,
            reference=row.reference,
            order_id=row.order_id,
            actor=row.actor,
            created_at=row.created_at,
        )
        for row in page
    ]
    next_cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
    return MovementPage(items=items, next_cursor=next_cursor)


async def ledger_matches_levels(conn: AsyncConnection, org_id: int) -> list[Mismatch]:
    """Levels whose on_hand or reserved differ from the sums of their ledger rows.

    Empty when the books are right; anything else is a bug to investigate.
    """
    return await repository.mismatches(conn, org_id)


# --- Applying and refusing changes --------------------------------------------------------


async def _apply(
    conn: AsyncConnection, org_id: int, key: Key, adjustment: Adjustment, actor: str
) -> Level | None:
    kind = adjustment.reason.ledger_kind
    reason = adjustment.reason.value
    if adjustment.set_on_hand is not None:
        return await repository.apply_count(
            conn,
            org_id,
            key,
            count=adjustment.set_on_hand,
            kind=kind,
            reason=reason,
            reference=adjustment.reference,
            actor=actor,
        )
    assert adjustment.delta is not None
    return await repository.apply_delta(
        conn,
        org_id,
        key,
        delta=adjustment.delta,
        kind=kind,
        reason=reason,
        reference=adjustment.reference,
        actor=actor,
    )


async def _refused(
    conn: AsyncConnection, org_id: int, key: Key, adjustment: Adjustment, prefix: str
) -> InsufficientStock:
    level = await repository.find_level(conn, org_id, key)
    on_hand, reserved = (level.on_hand, level.reserved) if level else (0, 0)
    where = f"{adjustment.sku} at {adjustment.location}"
    if adjustment.set_on_hand is not None:
        result, field = adjustment.set_on_hand, f"{prefix}.set_on_hand"
    else:
        result, field = on_hand + (adjustment.delta or 0), f"{prefix}.delta"
    if result > on_hand:
        detail = f"{where}: on_hand {on_hand} cannot grow to {result}"
    elif result < 0:
        detail = f"{where}: only {on_hand} on hand, so it cannot go down to {result}"
    else:
        detail = (
            f"{where}: {reserved} units are reserved for orders, so on_hand cannot go down"
            f" to {result}"
        )
    return InsufficientStock.at(
        detail, sku=adjustment.sku, location=adjustment.location, field=field
    )


async def _transfer_refused(
    conn: AsyncConnection, org_id: int, key: Key, transfer: Transfer, codes: lookups.Codes
) -> InsufficientStock:
    level = await repository.find_level(conn, org_id, key)
    location = codes.location_code[key[1]]
    if location == transfer.to_location:
        detail = f"{transfer.sku} at {location}: on_hand cannot grow by {transfer.quantity}"
    else:
        detail = (
            f"{transfer.sku} at {location}: {level.available if level else 0} available,"
            f" {transfer.quantity} asked"
        )
    return InsufficientStock.at(detail, sku=transfer.sku, location=location, field="quantity")


def _raise_problem(problem: tuple[str, str] | None, prefix: str | None) -> None:
    if problem is not None:
        field, message = problem
        raise InvalidStockChange(message, field=f"{prefix}.{field}" if prefix else field)
