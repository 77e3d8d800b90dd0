"""Import historical orders from CSV rows, one row per order line, as they were: no sourcing,
no reservation, no stock movement, and a file imported again adds nothing. Columns and rules:
docs/operations.md, "Imports".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import InvalidOperation

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import service as catalog
from orderly.channels import service as channels
from orderly.channels.errors import UnknownChannel
from orderly.kit.errors import InvalidInput
from orderly.kit.money import to_minor
from orderly.orders.domain import OrderStatus

REQUIRED_COLUMNS = (
    "external_id",
    "channel",
    "currency",
    "customer_email",
    "sku",
    "quantity",
    "unit_price",
)
ADDRESS_COLUMNS = {
    "ship_name": "name",
    "ship_line1": "line1",
    "ship_line2": "line2",
    "ship_city": "city",
    "ship_region": "region",
    "ship_postal_code": "postal_code",
    "ship_country": "country",
}
HISTORICAL_STATUSES = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED})
DEFAULT_STATUS = OrderStatus.DELIVERED
BATCH_ROWS = 2000
FIRST_DATA_LINE = 2  # line 1 is the header
MAX_TEXT_LENGTH = 200
MAX_QUANTITY = 1_000_000
IMPORT_EVENT = "order.imported"


class OrderImportRowInvalid(InvalidInput):
    """A row of an order import is wrong; the detail names its line (the header is line 1)."""

    code = "import_row_invalid"

    @classmethod
    def at(cls, line: int, column: str, message: str) -> OrderImportRowInvalid:
        return cls(f"line {line}: {column}: {message}", field=column, extra={"line": line})


@dataclass(frozen=True, slots=True)
class OrdersImported:
    orders: int
    lines: int
    skipped: int  # orders of the file that already existed


@dataclass(slots=True)
class _Line:
    line: int
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(slots=True)
class _Order:
    line: int
    channel: str
    external_id: str
    currency: str
    email: str
    customer_name: str | None
    status: OrderStatus
    placed_at: datetime | None
    address: dict[str, str] | None
    lines: list[_Line] = field(default_factory=list)


async def import_orders(
    conn: AsyncConnection,
    org_id: int,
    rows: Iterable[dict[str, str]],
    *,
    actor: str = "import",
    on_progress: Callable[[int], None] | None = None,
) -> OrdersImported:
    """Record every order of the file that does not exist yet.

    ``on_progress`` is called after each batch with the number of rows read so far.
    """
    writer = _Writer(conn, org_id, actor)
    batch: list[_Order] = []
    rows_in_batch = 0
    done_rows = 0
    seen: set[tuple[str, str]] = set()
    current: _Order | None = None
    for line, row in enumerate(rows, start=FIRST_DATA_LINE):
        if line == FIRST_DATA_LINE:
            _check_header(row)
        channel, external_id = _text(line, row, "channel"), _text(line, row, "external_id")
        if current is None or (current.channel, current.external_id) != (channel, external_id):
            if (channel, external_id) in seen:
                raise OrderImportRowInvalid.at(
                    line, "external_id", f"the rows of order {external_id!r} are not consecutive"
                )
            seen.add((channel, external_id))
            if current is not None and rows_in_batch >= BATCH_ROWS:
                await writer.write(batch)
                done_rows += rows_in_batch
                batch, rows_in_batch = [], 0
                if on_progress is not None:
                    on_progress(done_rows)
            current = _parse_order(line, row, channel, external_id)
            batch.append(current)
        current.lines.append(_parse_line(line, row, current.currency))
        rows_in_batch += 1
    if batch:
        await writer.write(batch)
        done_rows += rows_in_batch
        if on_progress is not None:
            on_progress(done_rows)
    return OrdersImported(orders=writer.orders, lines=writer.lines, skipped=writer.skipped)


def _check_header(row: dict[str, str]) -> None:
    for column in REQUIRED_COLUMNS:
        if column not in row:
            raise OrderImportRowInvalid.at(1, column, "the header has no such column")


def _text(line: int, row: dict[str, str], column: str, *, required: bool = True) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise OrderImportRowInvalid.at(line, column, "is required")
    if len(value) > MAX_TEXT_LENGTH:
        raise OrderImportRowInvalid.at(line, column, f"is longer than {MAX_TEXT_LENGTH} characters")
    return value


def _parse_order(line: int, row: dict[str, str], channel: str, external_id: str) -> _Order:
    currency = _text(line, row, "currency").upper()
    try:
        to_minor("0", currency)
    except ValueError:
        raise OrderImportRowInvalid.at(line, "currency", f"unknown currency {currency!r}") from None
    email = _text(line, row, "customer_email").lower()
    if "@" not in email:
        raise OrderImportRowInvalid.at(line, "customer_email", f"{email!r} is not an e-mail")
    status_text = _text(line, row, "status", required=False) or DEFAULT_STATUS
    if status_text not in HISTORICAL_STATUSES:
        allowed = ", ".join(sorted(HISTORICAL_STATUSES))
        raise OrderImportRowInvalid.at(line, "status", f"{status_text!r} is not one of {allowed}")
    placed_text = _text(line, row, "placed_at", required=False)
    placed_at = None
    if placed_text:
        try:
            placed_at = datetime.fromisoformat(placed_text)
        except ValueError:
            raise OrderImportRowInvalid.at(
                line, "placed_at", f"{placed_text!r} is not an ISO 8601 time"
            ) from None
        if placed_at.tzinfo is None:
            raise OrderImportRowInvalid.at(line, "placed_at", "needs a time zone offset")
    address = {
        key: value
        for column, key in ADDRESS_COLUMNS.items()
        if (value := _text(line, row, column, required=False))
    }
    if address and "country" not in address:
        raise OrderImportRowInvalid.at(line, "ship_country", "is required with an address")
    return _Order(
        line=line,
        channel=channel,
        external_id=external_id,
        currency=currency,
        email=email,
        customer_name=_text(line, row, "customer_name", required=False) or None,
        status=OrderStatus(status_text),
        placed_at=placed_at,
        address=address or None,
    )


def _parse_line(line: int, row: dict[str, str], currency: str) -> _Line:
    sku = _text(line, row, "sku")
    quantity_text = _text(line, row, "quantity")
    if not quantity_text.isascii() or not quantity_text.isdigit():
        raise OrderImportRowInvalid.at(line, "quantity", f"{quantity_text!r} is not a whole number")
    quantity = int(quantity_text)
    if not 0 < quantity <= MAX_QUANTITY:
        raise OrderImportRowInvalid.at(line, "quantity", f"must be between 1 and {MAX_QUANTITY}")
    price_text = _text(line, row, "unit_price")
    try:
        price = to_minor(price_text, currency)
    except (InvalidOperation, ValueError):
        price = -1
    if price < 0:
        raise OrderImportRowInvalid.at(
            line, "unit_price", f"{price_text!r} is not an amount in {currency}"
        )
    return _Line(line=line, sku=sku, quantity=quantity, unit_price_minor=price)


# Customers, orders, lines and one timeline event per order in one statement. Orders that
# already exist are filtered out before they draw a number; ON CONFLICT covers a concurrent
# import of the same order.
_WRITE = sa.text(
    """
    WITH incoming AS (
        SELECT *
          FROM unnest(CAST(:channel_ids AS bigint[]), CAST(:external_ids AS text[]),
                      CAST(:statuses AS text[]), CAST(:currencies AS char(3)[]),
                      CAST(:emails AS text[]), CAST(:names AS text[]),
                      CAST(:addresses AS jsonb[]), CAST(:placed AS timestamptz[]),
                      CAST(:subtotals AS bigint[]))
               AS n(channel_id, external_id, status, currency, email, name, address, placed_at,
                    subtotal)
         WHERE NOT EXISTS (SELECT 1 FROM orders o
                            WHERE o.org_id = :org_id AND o.channel_id = n.channel_id
                              AND o.external_id = n.external_id)
    ),
    buyers AS (
        INSERT INTO customers (org_id, email, name)
        SELECT DISTINCT ON (email) :org_id, email, name FROM incoming ORDER BY email, name
        ON CONFLICT (org_id, email)
        DO UPDATE SET name = coalesce(customers.name, EXCLUDED.name)
        RETURNING id, email
    ),
    new_orders AS (
        INSERT INTO orders (
            org_id, number, channel_id, external_id, status, currency, customer_id,
            customer_email, shipping_address, subtotal_minor, total_minor, payment_status,
            payment_amount_minor, created_at, updated_at)
        SELECT :org_id,
               'SO-' || nextval(CAST('order_number_' || CAST(:org_id AS text) AS regclass)),
               n.channel_id, n.external_id, n.status, n.currency, b.id, n.email, n.address,
               n.subtotal, n.subtotal,
               CASE WHEN n.status = 'cancelled' THEN 'pending' ELSE 'captured' END,
               CASE WHEN n.status = 'cancelled' THEN 0 ELSE n.subtotal END,
               coalesce(n.placed_at, now()), now()
          FROM incoming n JOIN buyers b ON b.email = n.email
        ON CONFLICT (org_id, channel_id, external_id) DO NOTHING
        RETURNING id, channel_id, external_id
    ),
    lines AS (
        INSERT INTO order_lines (org_id, order_id, line_no, sku_id, quantity, unit_price_minor,
                                 total_minor)
        SELECT :org_id, o.id, l.line_no, l.sku_id, l.quantity, l.price, l.quantity * l.price
          FROM unnest(CAST(:line_channel_ids AS bigint[]), CAST(:line_external_ids AS text[]),
                      CAST(:line_nos AS int[]), CAST(:line_sku_ids AS bigint[]),
                      CAST(:line_quantities AS int[]), CAST(:line_prices AS bigint[]))
               AS l(channel_id, external_id, line_no, sku_id, quantity, price)
          JOIN new_orders o ON o.channel_id = l.channel_id AND o.external_id = l.external_id
        RETURNING 1
    ),
    timeline AS (
        INSERT INTO order_events (org_id, order_id, type, data, actor)
        SELECT :org_id, id, :event, '{}', :actor FROM new_orders
    )
    SELECT (SELECT count(*) FROM new_orders) AS orders, (SELECT count(*) FROM lines) AS lines
    """
)


class _Writer:
    def __init__(self, conn: AsyncConnection, org_id: int, actor: str) -> None:
        self.conn, self.org_id, self.actor = conn, org_id, actor
        self.channel_ids: dict[str, int] = {}
        self.orders = self.lines = self.skipped = 0

    async def write(self, batch: Sequence[_Order]) -> None:
        sku_ids = await self._sku_ids(batch)
        for order in batch:
            await self._channel_id(order)
        line_values: dict[str, list[object]] = {
            k: [] for k in ("channel_ids", "external_ids", "nos", "sku_ids", "qty", "prices")
        }
        for order in batch:
            for number, line in enumerate(order.lines, start=1):
                line_values["channel_ids"].append(self.channel_ids[order.channel])
                line_values["external_ids"].append(order.external_id)
                line_values["nos"].append(number)
                line_values["sku_ids"].append(sku_ids[line.sku])
                line_values["qty"].append(line.quantity)
                line_values["prices"].append(line.unit_price_minor)
        written = (
            await self.conn.execute(
                _WRITE,
                {
                    "org_id": self.org_id,
                    "channel_ids": [self.channel_ids[o.channel] for o in batch],
                    "external_ids": [o.external_id for o in batch],
                    "statuses": [str(o.status) for o in batch],
                    "currencies": [o.currency for o in batch],
                    "emails": [o.email for o in batch],
                    "names": [o.customer_name for o in batch],
                    "addresses": [json.dumps(o.address) if o.address else None for o in batch],
                    "placed": [o.placed_at for o in batch],
                    "subtotals": [
                        sum(x.quantity * x.unit_price_minor for x in o.lines) for o in batch
                    ],
                    "line_channel_ids": line_values["channel_ids"],
                    "line_external_ids": line_values["external_ids"],
                    "line_nos": line_values["nos"],
                    "line_sku_ids": line_values["sku_ids"],
                    "line_quantities": line_values["qty"],
                    "line_prices": line_values["prices"],
                    "event": IMPORT_EVENT,
                    "actor": self.actor,
                },
            )
        ).one()
        self.orders += written.orders
        self.lines += written.lines
        self.skipped += len(batch) - written.orders

    async def _sku_ids(self, batch: Sequence[_Order]) -> dict[str, int]:
        codes = list({line.sku: None for order in batch for line in order.lines})
        found = await catalog.skus_by_code(self.conn, self.org_id, codes)
        for order in batch:
            for line in order.lines:
                if line.sku not in found:
                    raise OrderImportRowInvalid.at(
                        line.line, "sku", f"no SKU with code {line.sku!r}"
                    )
        return {code: sku.id for code, sku in found.items()}

    async def _channel_id(self, order: _Order) -> None:
        if order.channel in self.channel_ids:
            return
        try:
            policy = await channels.channel_policy(self.conn, self.org_id, order.channel)
        except UnknownChannel:
            raise OrderImportRowInvalid.at(
                order.line, "channel", f"no active channel with code {order.channel!r}"
            ) from None
        self.channel_ids[order.channel] = policy.id
