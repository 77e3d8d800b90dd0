"""What the DHL Express tests share: a shipment from Prague, addresses in three countries, a
customs declaration, an account on the fake MyDHL API, and the fixtures that route the
connector's HTTP to the fake on a clock the test moves."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta, timezone
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from orderly.kit.vendor_http import use_clock, use_transport
from orderly.shipping.carriers.dhl import DhlExpressCarrier
from orderly.shipping.carriers.tokens import TOKENS
from orderly.shipping.domain import CarrierAccount, Customs, CustomsLine, Parcel, ShipmentRequest
from tests.clock import MovableClock
from tests.shipping.carriers.fakes.dhl import BASE_PATH, FakeDhlExpress
from tests.transports import TimingOut

HOST = "https://dhl-express.test"
FAKE_BASE = f"{HOST}{BASE_PATH}"
TODAY = date(2026, 12, 1)  # a Tuesday
CET = timezone(timedelta(hours=1))
EST = timezone(timedelta(hours=-5))

PRAGUE = {
    "name": "Jana Novakova",
    "company": "Hrnky s.r.o.",
    "line1": "V Celnici 1031/4",
    "city": "Prague",
    "postal_code": "14800",
    "country": "CZ",
    "phone": "+420 222 000 111",
    "email": "expedice@hrnky.example",
}
BRNO = {
    "name": "Petr Svoboda",
    "line1": "Masarykova 12",
    "city": "Brno",
    "postal_code": "602 00",
    "country": "CZ",
    "phone": "+420 600 000 001",
    "residential": True,
}
BERLIN = {
    "name": "Max Mustermann",
    "company": "Becher GmbH",
    "line1": "Invalidenstrasse 1",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
    "phone": "+49 30 000000",
}
NEW_YORK = {
    "name": "Ada Lovelace",
    "company": "Analytical Engines Inc.",
    "line1": "350 5th Ave",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
    "phone": "+1 212 555 0100",
}
MUGS = Customs(
    lines=(
        CustomsLine("Ceramic mug", "691200", "CZ", 2, 1250, "USD", 400),
        CustomsLine("Linen tea towel", "630260", "PT", 3, 900, "USD", 120),
    ),
    reason="sale",
    incoterm="DAP",
)


def shipment(**changes: Any) -> ShipmentRequest:
    base = ShipmentRequest(
        org_id=1,
        ship_from=PRAGUE,
        ship_to=BRNO,
        parcels=[Parcel(weight_grams=1200, length_mm=300, width_mm=200, height_mm=100)],
        ship_date=TODAY,
        reference="LP-1001",
    )
    return replace(base, **changes)


def account(
    fake: FakeDhlExpress,
    *,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, str] | None = None,
) -> CarrierAccount:
    return CarrierAccount(
        id=7,
        org_id=1,
        code="dhl",
        name="DHL Express",
        kind="dhl_express",
        settings={"base_url": FAKE_BASE, "utc_offset": "+01:00", **(settings or {})},
        credentials=credentials if credentials is not None else fake.credentials,
    )


def raw_client(fake: FakeDhlExpress) -> httpx.AsyncClient:
    """Straight to the fake, to show what it refuses that the connector never sends."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app), base_url=FAKE_BASE)


def signed(fake: FakeDhlExpress, version: str | None = "2.12.0") -> dict[str, Any]:
    headers = {"x-version": version} if version else {}
    return {"auth": (fake.username, fake.password), "headers": headers}


def pdf_text(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


class DhlCase:
    """Test classes built on this get the fake (`fake`), the network to it (`network`, which
    can lose answers), the test clock (`clock`) and a connector on the fake's account (`dhl`)."""

    @pytest.fixture
    def clock(self) -> Iterator[MovableClock]:
        clock = MovableClock()
        use_clock(clock)
        yield clock
        use_clock(None)

    @pytest.fixture
    def fake(self, clock: MovableClock) -> FakeDhlExpress:
        return FakeDhlExpress(clock, today=TODAY)

    @pytest.fixture
    def network(self, fake: FakeDhlExpress) -> Iterator[TimingOut]:
        transport = TimingOut(httpx.ASGITransport(app=fake.app))
        use_transport(lambda base: transport if base.startswith(FAKE_BASE) else None)
        yield transport
        use_transport(None)
        TOKENS.clear()

    @pytest.fixture
    def dhl(self, fake: FakeDhlExpress, network: TimingOut) -> DhlExpressCarrier:
        return DhlExpressCarrier(account(fake))
