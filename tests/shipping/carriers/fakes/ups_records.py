"""What the fake UPS keeps (shipments, their packages' activity, known US addresses) and the
label documents it makes: GIF images turned on their side, as UPS sends them, and ZPL."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw

from tests.shipping.carriers.fakes.ups_rules import SERVICE_NAMES, one_or_many, text


@dataclass
class Activity:
    """One scan of a package: its activity type (M, P, I, O, D, X, RS, MV...) and status code."""

    kind: str
    status_code: str
    description: str
    at: datetime
    city: str = ""
    state: str = ""
    country: str = ""

    def as_ups(self, offset: timedelta) -> dict[str, Any]:
        """As the Tracking API lists it: local date and time with the GMT offset, and GMT."""
        gmt = self.at.astimezone(UTC)
        local = gmt + offset
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(int(offset.total_seconds())) // 60
        return {
            "date": local.strftime("%Y%m%d"),
            "time": local.strftime("%H%M%S"),
            "gmtDate": gmt.strftime("%Y%m%d"),
            "gmtTime": gmt.strftime("%H%M%S"),
            "gmtOffset": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
            "location": {
                "address": {
                    "city": self.city,
                    "stateProvince": self.state,
                    "countryCode": self.country,
                    "country": self.country,
                }
            },
            "status": {
                "type": self.kind,
                "description": self.description,
                "code": self.kind,
                "statusCode": self.status_code,
            },
        }


@dataclass
class Shipment:
    number: str  # ShipmentIdentificationNumber: the first package's 1Z number
    packages: list[str]
    references: list[str]
    reference_level: str  # SHIPMENT or PACKAGE
    service: str
    shipper_number: str
    shipped_on: date
    request: dict[str, Any]
    voided: bool = False
    activity: dict[str, list[Activity]] = field(default_factory=dict)


@dataclass(frozen=True)
class KnownAddress:
    line: str
    city: str
    state: str
    zip5: str
    zip4: str
    residential: bool


# A few addresses the fake's street-level validation knows (UPS's test environment knows
# addresses of New York and California only).
KNOWN_ADDRESSES = (
    KnownAddress("26601 ALISO CREEK RD", "ALISO VIEJO", "CA", "92656", "1521", False),
    KnownAddress("15 LINDEN AVE", "NEW YORK", "NY", "10019", "2202", True),
    KnownAddress("17 LINDEN AVE", "NEW YORK", "NY", "10019", "2204", True),
)
STREET_WORDS = {"ROAD": "RD", "STREET": "ST", "AVENUE": "AVE", "TERRACE": "TER", "DRIVE": "DR"}


def normalized_street(line: str) -> str:
    words = re.sub(r"[.,]", " ", line.upper()).split()
    return " ".join(STREET_WORDS.get(word, word) for word in words)


def check_digit(body: str) -> str:
    """The 1Z check digit over the 15 characters after "1Z" (letters count (ord - 63) % 10)."""
    total = 0
    for index, char in enumerate(body):
        value = int(char) if char.isdigit() else (ord(char) - 63) % 10
        total += value * 2 if index % 2 else value
    return str((10 - total % 10) % 10)


def _label_lines(number: str, service: str, ship_to: dict[str, Any]) -> list[str]:
    address = ship_to.get("Address") or {}
    place = " ".join(
        text(address, key) for key in ("City", "StateProvinceCode", "PostalCode", "CountryCode")
    )
    return [
        "UPS",
        SERVICE_NAMES.get(service, service),
        text(ship_to, "Name"),
        *one_or_many(address.get("AddressLine")),
        place,
        f"TRACKING #: {number}",
    ]


def label_gif(number: str, service: str, ship_to: dict[str, Any]) -> bytes:
    """A 4x6 label at 200 dpi turned on its side (1200 x 800), as UPS's GIF labels are."""
    image = Image.new("L", (800, 1200), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(_label_lines(number, service, ship_to)):
        draw.text((40, 40 + row * 40), line, fill=0)
    for index, char in enumerate(number):
        width = 2 + ord(char) % 5
        draw.rectangle((40 + index * 38, 700, 40 + index * 38 + width * 4, 1000), fill=0)
    buffer = io.BytesIO()
    image.rotate(90, expand=True).save(buffer, format="GIF")
    return buffer.getvalue()


def label_zpl(number: str, service: str, ship_to: dict[str, Any]) -> str:
    rows = [
        f"^FO40,{40 + row * 50}^A0N,36,36^FD{line}^FS"
        for row, line in enumerate(_label_lines(number, service, ship_to))
    ]
    return "\n".join(["^XA^LH0,0^CI28", *rows, f"^FO60,600^BY3^BCN,200,Y,N,N^FD{number}^FS", "^XZ"])
