from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput


class InsufficientStock(Conflict):
    """A change would take stock below what is reserved, below zero, or below what is available.

    The problem body names the SKU and location (``sku``, ``location``) so a client can tell
    which line of a batch was refused.
    """

    code = "insufficient_stock"
    title = "Insufficient stock"

    @classmethod
    def at(
        cls, detail: str, *, sku: str, location: str, field: str | None = None
    ) -> InsufficientStock:
        return cls(detail, field=field, extra={"sku": sku, "location": location})


class UnknownSku(InvalidInput):
    code = "unknown_sku"


class UnknownLocation(InvalidInput):
    code = "unknown_location"


class InvalidStockChange(InvalidInput):
    code = "invalid_stock_change"


class ImportRowInvalid(InvalidInput):
    """A row of a stock import is wrong; the detail names its line (the header is line 1)."""

    code = "import_row_invalid"

    @classmethod
    def at(cls, line: int, field: str, message: str) -> ImportRowInvalid:
        return cls(f"line {line}: {field}: {message}", field=field, extra={"line": line})
