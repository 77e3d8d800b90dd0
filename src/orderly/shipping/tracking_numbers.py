"""Tracking numbers of the rate-table carrier: PREFIX + 12-digit serial + 1 check digit, by
the GS1 mod-10 scheme of every GTIN and SSCC (docs/shipping.md). Example: PW000000000001 ->
PW0000000000017.
"""

from __future__ import annotations

import re
import secrets

SERIAL_DIGITS = 12
_FORMAT = re.compile(rf"^([A-Z]{{2}})(\d{{{SERIAL_DIGITS}}})(\d)$")


def check_digit(serial: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(serial)))
    return (10 - total % 10) % 10


def tracking_number(prefix: str, serial: int) -> str:
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    if len(digits) != SERIAL_DIGITS or serial < 0:
        raise ValueError(f"serial must have at most {SERIAL_DIGITS} digits")
    return f"{prefix}{digits}{check_digit(digits)}"


def new_tracking_number(prefix: str) -> str:
    # Random rather than sequential, so that tracking pages cannot be walked by counting.
    return tracking_number(prefix, secrets.randbelow(10**SERIAL_DIGITS))


def is_valid_tracking_number(value: str) -> bool:
    match = _FORMAT.match(value)
    return bool(match) and check_digit(match.group(2)) == int(match.group(3))  # type: ignore[union-attr]


def tracking_prefix(carrier_code: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", carrier_code).upper()
    return (letters + "XX")[:2]
