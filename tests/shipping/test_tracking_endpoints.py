"""Tracking: signed pushes move shipments along, the public page shows the timeline, and
carriers that can be asked are polled."""

from __future__ import annotations

import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.kit.vault import SECRET_KEY_FILE, vault_for
from orderly.settings import Settings
from orderly.shipping.carriers.registry import register_carrier
from orderly.shipping.domain import (
    AddressCheck,
    CarrierFeatures,
    Label,
    RateQuote,
    ShipmentRequest,
    TrackingCode,
    TrackingUpdate,
)
from orderly.shipping.errors import FeatureNotOffered
from orderly.shipping.tasks import poll_all
from orderly.shipping.tracking_numbers import tracking_number
from tests.factories import Org, place_order
from tests.shipping.factories import buy_labels, event, open_shop, push, webhook


@pytest.fixture
async def shop(db: Database, org: Org) -> Org:
    return await open_shop(db, org)


async def shipped(db: Database, shop: Org) -> str:
    order = await place_order(db, shop, [("MUG", 1)])
    [bought] = await buy_labels(db, shop, order["id"])
    return bought.tracking_number


async def status_of(client: httpx.AsyncClient, org: Org, number: str) -> dict:  # type: ignore[type-arg]
    response = await client.get(
        "/v1/shipments", params={"tracking_number": number}, headers=org.headers
    )
    [item] = response.json()["items"]
    detail = await client.get(f"/v1/shipments/{item['id']}", headers=org.headers)
    return dict(detail.json())


class TestSignedPush:
    async def test_events_move_the_shipment_to_delivered(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        number = await shipped(db, shop)
        token, secret = await webhook(client, shop)
        first = await push(
            client,
            token,
            secret,
            [
                event(number, "in_transit", "2026-11-23T18:00:00Z", location="Newark, NJ"),
                event(number, "out_for_delivery", "2026-11-25T07:10:00Z", location="Boston, MA"),
            ],
        )
        assert first.status_code == 200, first.text
        assert [(c["old"], c["new"]) for c in first.json()["status_changes"]] == [
            ("label_created", "in_transit"),
            ("in_transit", "out_for_delivery"),
        ]
        delivered = await push(
            client, token, secret, [event(number, "delivered", "2026-11-25T13:02:00Z")]
        )
        assert delivered.json()["status_changes"][0]["new"] == "delivered"
        shipment = await status_of(client, shop, number)
        assert shipment["status"] == "delivered"
        assert shipment["delivered_at"].startswith("2026-11-25T13:02")
        assert [e["code"] for e in shipment["events"]] == [
            "in_transit",
            "out_for_delivery",
            "delivered",
        ]

    async def test_late_and_repeated_events_are_kept_but_do_not_move_it_back(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        number = await shipped(db, shop)
        token, secret = await webhook(client, shop)
        await push(client, token, secret, [event(number, "delivered", "2026-11-25T13:00:00Z")])
        late = await push(
            client,
            token,
            secret,
            [
                event(number, "in_transit", "2026-11-24T08:00:00Z"),
                event(number, "delivered", "2026-11-25T13:00:00Z"),
            ],
        )
        assert late.status_code == 200
        assert late.json()["status_changes"] == []
        shipment = await status_of(client, shop, number)
        assert shipment["status"] == "delivered"
        assert [(e["code"], e["applied"]) for e in shipment["events"]] == [
            ("in_transit", False),
            ("delivered", True),
        ]

    async def test_unknown_numbers_are_reported(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        token, secret = await webhook(client, shop)
        stranger = tracking_number("PW", 42)
        response = await push(
            client, token, secret, [event(stranger, "in_transit", "2026-11-24T08:00:00Z")]
        )
        assert response.status_code == 200
        assert response.json()["unknown_tracking_numbers"] == [stranger]

    async def test_a_bad_signature_is_refused(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        number = await shipped(db, shop)
        token, secret = await webhook(client, shop)
        events = [event(number, "delivered", "2026-11-25T13:00:00Z")]
        forged = await push(client, token, "whsec_guess", events)
        assert forged.status_code == 401
        assert forged.json()["code"] == "tracking_signature_invalid"
        garbled = await push(client, token, secret, events, signature="t=1,v1=00")
        assert garbled.status_code == 401
        unknown = await push(client, "trk_nobody", secret, events)
        assert unknown.status_code == 401
        assert (await status_of(client, shop, number))["status"] == "label_created"

    async def test_a_stale_timestamp_is_refused(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        number = await shipped(db, shop)
        token, secret = await webhook(client, shop)
        events = [event(number, "delivered", "2026-11-25T13:00:00Z")]
        stale = await push(client, token, secret, events, timestamp=int(time.time()) - 600)
        assert stale.status_code == 401
        assert (await status_of(client, shop, number))["status"] == "label_created"

    async def test_a_signed_but_invalid_body_names_the_field(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        token, secret = await webhook(client, shop)
        bad = await push(client, token, secret, [event("X", "teleported", "2026-11-25T13:00:00Z")])
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "events.0.code"

    async def test_the_secret_key_file_is_private(self, settings: Settings) -> None:
        if settings.secret_key:
            pytest.skip("the key comes from ORDERLY_SECRET_KEY")
        vault_for(settings)
        path = settings.data_dir / SECRET_KEY_FILE
        assert path.exists()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


class TestPublicPage:
    async def test_shows_status_and_timeline_without_login(
        self, client: httpx.AsyncClient, db: Database, shop: Org
    ) -> None:
        number = await shipped(db, shop)
        token, secret = await webhook(client, shop)
        await push(
            client,
            token,
            secret,
            [
                event(number, "in_transit", "2026-11-23T18:00:00Z", description="Departed hub"),
                event(number, "out_for_delivery", "2026-11-25T07:10:00Z", location="Boston, MA"),
            ],
        )
        page = await client.get(f"/track/{number}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        assert number in html
        assert "Out for delivery" in html and "Departed hub" in html and "Boston, MA" in html
        assert "Ann Lee" not in html  # no address on a public page
        assert "<script" not in html and "http" not in html.split("<body>")[1]

    async def test_unknown_number_is_404(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/track/PW0000000000017X")
        assert page.status_code == 404
        assert "not found" in page.text


@dataclass
class PollableCarrier:
    """A fake carrier that reports every parcel delivered when asked."""

    code: str
    features: CarrierFeatures = field(default_factory=lambda: CarrierFeatures(tracking=True))

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        return [
            RateQuote(self.code, "STD", "Standard", 500, "USD", 2, date(2026, 11, 25)),
        ]

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        number = tracking_number("FK", int(time.time_ns() % 10**12))
        return Label(number, b"%PDF-1.4", "^XA^XZ", 500, "USD", service, date(2026, 11, 25))

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        raise FeatureNotOffered("the fake keeps no shipments")

    async def cancel_label(self, tracking_number: str) -> None:
        return None

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        at = datetime(2026, 11, 25, 12, tzinfo=UTC)
        return [TrackingUpdate(TrackingCode.DELIVERED, at, "Left at front door")]

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        raise FeatureNotOffered("the fake has no address data")


class TestPolling:
    async def test_pollable_carriers_are_asked_about_open_shipments(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        register_carrier("fake_pollable", lambda account: PollableCarrier(account.code))
        created = await client.post(
            "/v1/carriers",
            json={"code": "fakepost", "name": "Fake Post", "kind": "fake_pollable"},
            headers=org.headers,
        )
        assert created.status_code == 201, created.text
        await open_shop(db, org)
        order = await place_order(db, org, [("MUG", 1)])
        [bought] = await buy_labels(db, org, order["id"], service="fakepost:STD")
        assert await poll_all(db) >= 1
        shipment = await status_of(client, org, bought.tracking_number)
        assert shipment["status"] == "delivered"
        assert shipment["events"][0]["description"] == "Left at front door"
