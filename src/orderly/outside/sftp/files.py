"""The files of an SFTP exchange (docs/fulfillment.md, "An SFTP file exchange"): our order file
out, the provider's confirmation and stock files in, as CSV with a header row. A bad row is
refused with its file and row number; the good rows of the same file are read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderly.outside.port import (
    EventKind,
    ExchangeProblem,
    OutboundOrder,
    Polled,
    ProviderEvent,
    ShippedParcel,
    StockSnapshot,
)

ORDER_COLUMNS = (
    "reference",
    "order_number",
    "line",
    "sku",
    "name",
    "quantity",
    "ship_to_name",
    "ship_to_company",
    "ship_to_line1",
    "ship_to_line2",
    "ship_to_city",
    "ship_to_region",
    "ship_to_postal_code",
    "ship_to_country",
    "ship_to_phone",
    "ship_to_email",
    "shipping_method",
)
CONFIRMATION_COLUMNS = ("reference", "status", "sku", "quantity", "carrier", "tracking_number")
CONFIRMATION_STATUSES = {"shipped": EventKind.SHIPPED, "cancelled": EventKind.CANCELLED,
                         "refused": EventKind.REFUSED}  # fmt: skip
STOCK_COLUMNS = ("sku", "on_hand")


@dataclass
class _Parcel:
    row: int
    carrier: str | None
    units: dict[str, int] = field(default_factory=dict)


def order_file_name(reference: str) -> str:
    return f"{reference}.csv"


def cancel_file_name(reference: str) -> str:
    return f"{reference}.cancel.csv"


def order_csv(order: OutboundOrder) -> bytes:
    """One row per line, the ship-to address on every row; no prices."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ORDER_COLUMNS)
    to = order.ship_to
    for line in order.lines:
        writer.writerow(
            [
                order.reference,
                order.order_number,
                line.line_no,
                line.sku,
                line.name,
                line.quantity,
                to.name,
                to.company or "",
                to.line1,
                to.line2 or "",
                to.city,
                to.region or "",
                to.postal_code or "",
                to.country,
                to.phone or "",
                to.email or "",
                order.shipping_method or "",
            ]
        )
    return out.getvalue().encode()


def cancel_csv(reference: str, reason: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("reference", "cancel", "reason"))
    writer.writerow((reference, "yes", reason))
    return out.getvalue().encode()


def _rows(name: str, text: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) of a CSV file whose header names at least `columns`; the header is
    row 1. Raises ValueError when the header lacks a column."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"the header has no {', '.join(missing)} column")
    reader.fieldnames = header
    for number, row in enumerate(reader, start=2):
        yield number, {k: (v or "").strip() for k, v in row.items() if k is not None}


def read_confirmations(name: str, text: str) -> Polled:
    """A confirmation file: rows `shipped` (with sku, quantity, carrier, tracking_number; the
    rows of one tracking number are one parcel) or `cancelled` / `refused` (what is still open
    of the order; sku and quantity are ignored)."""
    problems: list[ExchangeProblem] = []
    parcels: dict[tuple[str, str], _Parcel] = {}
    others: list[ProviderEvent] = []
    try:
        for number, row in _rows(name, text, CONFIRMATION_COLUMNS):
            problem = _confirmation_problem(row)
            if problem is not None:
                problems.append(ExchangeProblem(name, problem, number))
                continue
            kind = CONFIRMATION_STATUSES[row["status"].lower()]
            if kind is not EventKind.SHIPPED:
                others.append(
                    ProviderEvent(
                        f"file:{name}:{row['reference']}:{kind.value}",
                        kind,
                        row["reference"],
                        reason=row.get("reason") or None,
                        source=name,
                        row=number,
                    )
                )
                continue
            key = (row["reference"], row["tracking_number"])
            parcel = parcels.setdefault(key, _Parcel(number, row["carrier"] or None))
            parcel.units[row["sku"]] = parcel.units.get(row["sku"], 0) + int(row["quantity"])
    except (ValueError, csv.Error) as error:
        return Polled(problems=(ExchangeProblem(name, f"not a confirmation file: {error}"),),
                      sources=(name,))  # fmt: skip
    shipped = [
        ProviderEvent(
            f"file:{name}:{reference}:{tracking}",
            EventKind.SHIPPED,
            reference,
            parcels=(ShippedParcel(tracking, parcel.carrier, None, parcel.units),),
            source=name,
            row=parcel.row,
        )
        for (reference, tracking), parcel in parcels.items()
    ]
    return Polled(events=(*shipped, *others), problems=tuple(problems), sources=(name,))


def _confirmation_problem(row: dict[str, str]) -> str | None:
    if not row.get("reference"):
        return "reference is empty"
    status = row.get("status", "").lower()
    if status not in CONFIRMATION_STATUSES:
        return f"status {row.get('status')!r} is not shipped, cancelled or refused"
    if status != "shipped":
        return None
    if not row.get("sku"):
        return "a shipped row needs its sku"
    if not row.get("tracking_number"):
        return "a shipped row needs its tracking_number"
    quantity = row.get("quantity", "")
    if not quantity.isdigit() or int(quantity) < 1:
        return f"quantity {quantity!r} is not a whole number of at least 1"
    return None


def read_stock(name: str, text: str, *, written_at: datetime | None) -> StockSnapshot:
    """A stock file: `sku,on_hand` rows (an optional `counted_at` column, ISO 8601, dates the
    count; else the file's time). The file's name is the snapshot's id."""
    on_hand: dict[str, int] = {}
    problems: list[ExchangeProblem] = []
    counted_at: datetime | None = None
    try:
        for number, row in _rows(name, text, STOCK_COLUMNS):
            units = row.get("on_hand", "")
            if not row.get("sku"):
                problems.append(ExchangeProblem(name, "sku is empty", number))
            elif not units.isdigit():
                problems.append(
                    ExchangeProblem(name, f"on_hand {units!r} is not a whole number", number)
                )
            elif row["sku"] in on_hand:
                problems.append(ExchangeProblem(name, f"{row['sku']} is listed twice", number))
            else:
                on_hand[row["sku"]] = int(units)
                counted_at = counted_at or _time(row.get("counted_at"))
    except (ValueError, csv.Error) as error:
        problems.append(ExchangeProblem(name, f"not a stock file: {error}"))
    return StockSnapshot(
        snapshot_id=name,
        taken_at=counted_at or written_at or datetime.now(UTC),
        on_hand=on_hand,
        problems=tuple(problems),
        source=name,
    )


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
