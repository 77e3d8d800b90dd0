"""Import products from CSV rows (columns: sku,name,product,gtin,weight_grams,length_mm,
width_mm,height_mm,hazmat,hs_code,country_of_origin).

Each row is checked by the same schema as `POST /v1/products`. Rows are written in batches;
the caller runs the whole import in one transaction, so a bad row leaves nothing imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import service
from orderly.catalog.errors import ImportRowInvalid
from orderly.catalog.schemas import ProductIn

COLUMNS = (
    "sku",
    "name",
    "product",
    "gtin",
    "weight_grams",
    "length_mm",
    "width_mm",
    "height_mm",
    "hazmat",
    "hs_code",
    "country_of_origin",
)
BATCH_SIZE = 1000
FIRST_DATA_LINE = 2  # line 1 is the header


async def import_products(
    conn: AsyncConnection,
    org_id: int,
    rows: Iterable[dict[str, str]],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Create or update a SKU per row; returns the number of rows imported.

    ``on_progress`` is called after each batch with the number of rows imported so far.
    Raises ImportRowInvalid, naming the line and the field, at the first bad row.
    """
    batch: list[service.NewSku] = []
    imported = 0
    for line, row in enumerate(rows, start=FIRST_DATA_LINE):
        batch.append(_parse(line, row).as_new_sku())
        if len(batch) >= BATCH_SIZE:
            imported += await _write(conn, org_id, batch, on_progress, imported)
            batch = []
    if batch:
        imported += await _write(conn, org_id, batch, on_progress, imported)
    return imported


def _parse(line: int, row: dict[str, str]) -> ProductIn:
    # Empty cells mean "not given"; a short row gives None for its missing cells.
    given = {name: value for name in COLUMNS if (value := (row.get(name) or "").strip())}
    try:
        return ProductIn.model_validate(given)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "row"
        raise ImportRowInvalid(
            f"line {line}: {field}: {error['msg']}", field=field, extra={"line": line}
        ) from None


async def _write(
    conn: AsyncConnection,
    org_id: int,
    batch: list[service.NewSku],
    on_progress: Callable[[int], None] | None,
    done_before: int,
) -> int:
    await service.upsert_skus(conn, org_id, batch)
    if on_progress is not None:
        on_progress(done_before + len(batch))
    return len(batch)
