"""CSV cells that a spreadsheet opens as text: a cell that would start a formula is neutralised
with a leading apostrophe (OWASP's advice on CSV injection)."""

from __future__ import annotations

from collections.abc import Iterable

# A spreadsheet reads a cell starting with one of these as a formula (tab and carriage return
# because some spreadsheets skip them before looking for one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell's text, with an apostrophe in front when it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values: Iterable[object]) -> list[str]:
    return [safe_cell(v) for v in values]
