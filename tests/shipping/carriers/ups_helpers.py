"""What the UPS tests share: a warehouse in Newark and its customers, a customs line, the
carrier account pointed at the fake, and the test clock and network the fake answers on."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
from pypdf import PdfReader

from orderly.kit.vendor_http import use_transport
from orderly.shipping.carriers.tokens import TOKENS
from orderly.shipping.domain import CarrierAccount, Customs, CustomsLine, Parcel, ShipmentRequest
from tests.shipping.carriers.fakes.ups import FAKE_BASE, FakeUps
from tests.transports import TimingOut

SHIP_DATE = date(2026, 11, 23)  # a Monday
WAREHOUSE = {"name": "Dana Cole", "company": "Northwind DC", "line1": "100 Broad St",
             "city": "Newark", "region": "NJ", "postal_code": "07102", "country": "US",
             "phone": "+1 973 555 0100"}  # fmt: skip
CUSTOMER = {"name": "Ann Lee", "line1": "15 Linden Ave", "city": "New York", "region": "NY",
            "postal_code": "10019", "country": "US", "phone": "212-555-0199",
            "email": "ann@example.com", "residential": True}  # fmt: skip
LONDON = {"name": "Tom Reed", "line1": "221 Baker St", "city": "London", "postal_code": "NW1 6XE",
          "country": "GB", "phone": "+44 20 7946 0000"}  # fmt: skip
TEE = CustomsLine(
    description="Cotton T-shirt",
    hs_code="6109.10",
    origin_country="PT",
    quantity=3,
    unit_value_minor=1250,
    currency="USD",
    unit_weight_grams=200,
    sku="TEE-M",
)


@contextmanager
def ups_network(fake: FakeUps) -> Iterator[TimingOut]:
    """Calls to the fake's base URL reach it through a transport that can lose answers; the
    token cache starts and ends empty."""
    transport = TimingOut(httpx.ASGITransport(app=fake.app))
    use_transport(lambda base: transport if base.startswith(FAKE_BASE) else None)
    TOKENS.clear()
    try:
        yield transport
    finally:
        use_transport(None)
        TOKENS.clear()


def account(fake: FakeUps, **settings: Any) -> CarrierAccount:
    return CarrierAccount(
        id=7,
        org_id=1,
        code="ups-newark",
        name="UPS",
        kind="ups",
        settings={"base_url": FAKE_BASE, **settings},
        credentials=fake.credentials,
    )


def shipment(*parcels: Parcel, reference: str = "NW-1001", **changes: Any) -> ShipmentRequest:
    request = ShipmentRequest(
        org_id=1,
        ship_from=WAREHOUSE,
        ship_to=CUSTOMER,
        parcels=list(parcels) or [Parcel(2200, 300, 200, 100)],
        ship_date=SHIP_DATE,
        reference=reference,
    )
    return replace(request, **changes)


def to_london(customs: Customs | None) -> ShipmentRequest:
    return shipment(ship_to=LONDON, customs=customs)


def pdf_text(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
