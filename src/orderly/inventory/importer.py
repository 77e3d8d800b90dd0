"""Import stock counts from CSV rows (columns: sku, location, on_hand[, safety_stock]).

Each row sets a level's on-hand to the counted figure, in batches of set-based statements
within the caller's one transaction: docs/operations.md, "Imports".
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import service as catalog
from orderly.inventory import repository
from orderly.inventory.arrivals import stock_arrived
from orderly.inventory.domain import IMPORT_REASON, MAX_ON_HAND
from orderly.inventory.errors import ImportRowInvalid
from orderly.locations import service as locations

REQUIRED_COLUMNS = ("sku", "location", "on_hand")
OPTIONAL_COLUMNS = ("safety_stock",)
BATCH_SIZE = 1000
FIRST_DATA_LINE = 2  # line 1 is the header
MAX_CODE_LENGTH = 64

Key = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    sku: str
    location: str
    on_hand: int
    safety_stock: int | None


async def import_stock(
    conn: AsyncConnection,
    org_id: int,
    actor: str,
    rows: Iterable[dict[str, str]],
    *,
    on_progress: Callable[[int], None] | None = None,
    reference: str | None = None,
) -> int:
    """Set the counted stock of every row; returns the number of rows imported.

    ``on_progress`` is called after each batch with the number of rows imported so far;
    ``reference`` (such as the file name) is written on the ledger rows.
    """
    batch: list[_Row] = []
    imported = 0
    for line, row in enumerate(rows, start=FIRST_DATA_LINE):
        if line == FIRST_DATA_LINE:
            _check_header(row)
        batch.append(_parse(line, row))
        if len(batch) >= BATCH_SIZE:
            imported += await _write(conn, org_id, actor, batch, reference)
            batch = []
            if on_progress is not None:
                on_progress(imported)
    if batch:
        imported += await _write(conn, org_id, actor, batch, reference)
        if on_progress is not None:
            on_progress(imported)
    return imported


def _check_header(row: dict[str, str]) -> None:
    for column in REQUIRED_COLUMNS:
        if column not in row:
            raise ImportRowInvalid.at(1, column, "the header has no such column")


def _parse(line: int, row: dict[str, str]) -> _Row:
    sku = _code(line, row, "sku")
    location = _code(line, row, "location")
    on_hand = _count(line, row, "on_hand")
    if on_hand is None:
        raise ImportRowInvalid.at(line, "on_hand", "is required")
    return _Row(line, sku, location, on_hand, _count(line, row, "safety_stock"))


def _code(line: int, row: dict[str, str], field: str) -> str:
    value = (row.get(field) or "").strip()
    if not value:
        raise ImportRowInvalid.at(line, field, "is required")
    if len(value) > MAX_CODE_LENGTH:
        raise ImportRowInvalid.at(line, field, f"is longer than {MAX_CODE_LENGTH} characters")
    return value


def _count(line: int, row: dict[str, str], field: str) -> int | None:
    """A whole number of units, or None for an empty (or absent) cell."""
    value = (row.get(field) or "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ON_HAND:
        raise ImportRowInvalid.at(
            line, field, f"{value!r} is not a whole number between 0 and {MAX_ON_HAND}"
        )
    return int(value)


async def _write(
    conn: AsyncConnection,
    org_id: int,
    actor: str,
    batch: Sequence[_Row],
    reference: str | None,
) -> int:
    skus = await catalog.skus_by_code(conn, org_id, list({r.sku: None for r in batch}))
    places = await locations.locations_by_code(
        conn, org_id, list({r.location: None for r in batch})
    )
    latest: dict[Key, _Row] = {}
    for row in batch:
        sku = skus.get(row.sku)
        if sku is None:
            raise ImportRowInvalid.at(row.line, "sku", f"no SKU with code {row.sku!r}")
        place = places.get(row.location)
        if place is None:
            raise ImportRowInvalid.at(
                row.line, "location", f"no location with code {row.location!r}"
            )
        if not place.active:
            raise ImportRowInvalid.at(
                row.line, "location", f"location {row.location!r} is inactive"
            )
        latest[(sku.id, place.id)] = row
    new = await repository.ensure_levels(conn, org_id, latest.keys())
    counts = [_Count(key, r.on_hand, r.safety_stock, r.line) for key, r in latest.items()]
    refused = await _set_counts(conn, org_id, counts, new=new, reference=reference, actor=actor)
    if refused is not None:
        raise ImportRowInvalid.at(
            refused.line,
            "on_hand",
            f"{refused.on_hand} is below the {refused.reserved} units reserved for orders",
        )
    await stock_arrived(conn, org_id, {key[0] for key in latest})
    return len(batch)


_LOCK_LEVELS = sa.text(
    """
    SELECT s.id
      FROM stock_levels s
      JOIN unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]))
           AS k(sku_id, location_id)
        ON s.sku_id = k.sku_id AND s.location_id = k.location_id
     WHERE s.org_id = :org_id
     ORDER BY s.sku_id, s.location_id
       FOR UPDATE OF s
    """
)

# Set counted figures for many levels at once (already locked by this transaction, so the
# figures read here cannot change under it). Levels that were new are recorded as receipts.
# Returns the first line whose count is below what is reserved; then nothing must be kept.
_SET_COUNTS = sa.text(
    """
    WITH counted AS (
        SELECT *
          FROM unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]),
                      CAST(:counts AS int[]), CAST(:safety_stocks AS int[]),
                      CAST(:new AS boolean[]), CAST(:lines AS int[]))
               AS c(sku_id, location_id, on_hand, safety_stock, new, line)
    ),
    current AS (
        SELECT s.id, s.on_hand AS old_on_hand, s.reserved, c.*
          FROM stock_levels s
          JOIN counted c ON s.sku_id = c.sku_id AND s.location_id = c.location_id
         WHERE s.org_id = :org_id
    ),
    changed AS (
        UPDATE stock_levels s
           SET on_hand = c.on_hand, safety_stock = coalesce(c.safety_stock, s.safety_stock),
               updated_at = now()
          FROM current c
         WHERE s.id = c.id AND c.on_hand >= s.reserved
        RETURNING s.sku_id, s.location_id, c.on_hand - c.old_on_hand AS delta, c.new
    ),
    entry AS (
        INSERT INTO stock_ledger
               (org_id, sku_id, location_id, kind, on_hand_delta, reason, reference, actor)
        SELECT :org_id, sku_id, location_id,
               CASE WHEN new THEN 'received' ELSE 'adjusted' END, delta, :reason, :reference,
               :actor
          FROM changed
         WHERE delta <> 0
    )
    SELECT line, on_hand, reserved FROM current WHERE on_hand < reserved ORDER BY line LIMIT 1
    """
)


@dataclass(frozen=True, slots=True)
class _Count:
    """A counted on-hand figure for one level, from line ``line`` of an import."""

    key: Key
    on_hand: int
    safety_stock: int | None
    line: int


@dataclass(frozen=True, slots=True)
class _CountRefused:
    line: int
    on_hand: int
    reserved: int


async def _set_counts(
    conn: AsyncConnection,
    org_id: int,
    counts: Sequence[_Count],
    *,
    new: Collection[Key],
    reference: str | None,
    actor: str | None,
) -> _CountRefused | None:
    """Lock the levels in order, then set every count in one statement.

    Each key must appear once. Returns the first refused count (below reserved), in which
    case the caller must roll back: the other counts were applied.
    """
    ordered = sorted(counts, key=lambda c: c.key)
    sku_ids = [c.key[0] for c in ordered]
    location_ids = [c.key[1] for c in ordered]
    await conn.execute(
        _LOCK_LEVELS, {"org_id": org_id, "sku_ids": sku_ids, "location_ids": location_ids}
    )
    row = (
        await conn.execute(
            _SET_COUNTS,
            {
                "org_id": org_id,
                "sku_ids": sku_ids,
                "location_ids": location_ids,
                "counts": [c.on_hand for c in ordered],
                "safety_stocks": [c.safety_stock for c in ordered],
                "new": [c.key in new for c in ordered],
                "lines": [c.line for c in ordered],
                "reason": IMPORT_REASON,
                "reference": reference,
                "actor": actor,
            },
        )
    ).one_or_none()
    if row is None:
        return None
    return _CountRefused(line=row.line, on_hand=row.on_hand, reserved=row.reserved)
