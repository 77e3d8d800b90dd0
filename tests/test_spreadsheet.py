"""CSV cells never start a spreadsheet formula (kit.spreadsheet)."""

from __future__ import annotations

import pytest

from orderly.kit.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("SO-1001", "SO-1001"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_a_cell_that_would_start_a_formula_is_neutralised(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_a_row_is_neutralised_cell_by_cell() -> None:
    assert safe_row(["SO-1", "=1+1", None]) == ["SO-1", "'=1+1", ""]
