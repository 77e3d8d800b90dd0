from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orderly.kit.vendor_http import use_clock, use_transport
from orderly.outside.access import Installation
from orderly.settings import Settings
from tests.clock import MovableClock
from tests.outside.fakes.shipbob import FakeShipBob
from tests.transports import TimingOut

SHIPBOB = "https://api.shipbob.com"


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    clock = MovableClock()
    use_clock(clock)
    yield clock
    use_clock(None)


@pytest.fixture
def shipbob(clock: MovableClock) -> FakeShipBob:
    return FakeShipBob(clock)


@pytest.fixture
def shipbob_transport(shipbob: FakeShipBob) -> Iterator[TimingOut]:
    """Every call to ShipBob's production address goes to the fake, through a transport that
    can lose answers."""
    transport = TimingOut(httpx.ASGITransport(app=shipbob.app))
    use_transport({SHIPBOB: transport}.get)
    yield transport
    use_transport(None)


@pytest.fixture
def installation(settings: Settings) -> Installation:
    return Installation.of(settings.model_copy(update={"public_url": "https://shop.example"}))
