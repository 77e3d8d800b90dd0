"""Drop-ship from a supplier by e-mail: an order captured and routed to the supplier becomes a
purchase order e-mailed with its PDF (a real local SMTP server receives it), and the supplier's
confirmation with its tracking ships the order."""

from __future__ import annotations

import io
import re
from email.message import Message
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from orderly.channels import service as channels
from orderly.channels.schemas import ChannelPatch
from orderly.kit.db import Database
from orderly.outside.access import Installation
from orderly.settings import Settings
from tests.factories import Org, place_order
from tests.notifications.conftest import Mailbox, smtp_server  # noqa: F401 - the fixture
from tests.orders.helpers import ledger_mismatches, stock_of
from tests.outside.helpers import (
    SKU,
    Jobs,
    connect,
    fulfillment_orders,
    outside_location,
    provider_id,
    timeline,
)

SUPPLIER = "orders@supplier.example"


@pytest.fixture
def mail_installation(settings: Settings, smtp_server: tuple[Mailbox, int]) -> Installation:  # noqa: F811
    return Installation.of(
        settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_server[1],
                "smtp_starttls": False,
                "smtp_from": "Northwind <orders@northwind.example>",
                "public_url": "https://shop.example",
            }
        )
    )


async def drop_shipping(
    db: Database, client: httpx.AsyncClient, org: Org, installation: Installation
) -> Jobs:
    """A supplier location SUP that drop-ships MUG (its SKU SUP-778), the only place the web
    channel's orders may go."""
    await outside_location(db, org, "SUP", kind="supplier", units=100)
    async with db.transaction() as tx:
        web = await channels.channel_policy(tx.connection, org.id, "web")
        patch = ChannelPatch(fulfillment_location_kinds=["supplier"])
        await channels.update_channel(tx.connection, org.id, web.id, patch)
    await connect(
        client,
        org,
        "SUP",
        {"kind": "email", "settings": {"email": SUPPLIER, "sku_map": {SKU: "SUP-778"}}},
    )
    return Jobs(db, installation, await provider_id(db, org, "SUP"))


def pdf_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "application/pdf":
            payload: Any = part.get_payload(decode=True)
            reader = PdfReader(io.BytesIO(bytes(payload)))
            return "\n".join(page.extract_text() for page in reader.pages)
    raise AssertionError("no PDF attached")


def link_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = bytes(part.get_payload(decode=True)).decode()  # type: ignore[arg-type]
            found = re.search(r"https://shop\.example(/drop-ship/\S+)", text)
            assert found, text
            return found.group(1)
    raise AssertionError("no text part")


async def test_a_drop_ship_order_from_capture_to_the_suppliers_tracking(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    mail_installation: Installation,
    smtp_server: tuple[Mailbox, int],  # noqa: F811
) -> None:
    mailbox = smtp_server[0]
    jobs = await drop_shipping(db, client, org, mail_installation)
    placed = await place_order(db, org, [(SKU, 2)])
    [fo] = await fulfillment_orders(client, org, placed["id"])
    assert fo["location"] == "SUP"
    po = f"DS-{fo['id']}"

    assert await jobs.send() == 1
    [message] = [m for m in mailbox.to(SUPPLIER) if po in m["Subject"]]
    document = pdf_of(message)
    assert po in document
    assert "SUP-778" in document and "Boston" in document
    assert "19.99" not in document  # no prices for the end customer
    assert await jobs.send() == 0  # sent once

    page = await client.get(link_of(message))
    assert page.status_code == 200
    assert "SUP-778" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    forged = await client.post(
        f"/drop-ship/{po}",
        data={"token": "0" * 32, "outcome": "shipped", "carrier": "DHL", "tracking_number": "X123"},
    )
    assert forged.status_code == 401
    done = await client.post(
        f"/drop-ship/{po}",
        data={
            "token": token.group(1),
            "outcome": "shipped",
            "carrier": "DHL",
            "tracking_number": "JD014600003",
        },
    )
    assert done.status_code == 200, done.text
    assert "shipped" in done.text

    [fo] = await fulfillment_orders(client, org, placed["id"])
    assert fo["status"] == "shipped"
    assert [(p["tracking_number"], p["carrier"]) for p in fo["parcels"]] == [("JD014600003", "DHL")]
    order = (await client.get(f"/v1/orders/{placed['id']}", headers=org.headers)).json()
    assert order["status"] == "shipped"
    assert (await stock_of(client, org.headers, SKU))["SUP"]["on_hand"] == 98
    assert await ledger_mismatches(db, org.id) == []
    shipped = [
        e for e in await timeline(client, org, placed["id"]) if e["type"] == "fulfillment.shipped"
    ]
    assert shipped[0]["data"]["parcels"][0]["tracking_number"] == "JD014600003"


async def test_an_operator_confirms_once_even_when_told_twice(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    mail_installation: Installation,
) -> None:
    jobs = await drop_shipping(db, client, org, mail_installation)
    placed = await place_order(db, org, [(SKU, 3)])
    await jobs.send()
    [fo] = await fulfillment_orders(client, org, placed["id"])
    url = f"/v1/drop-ship/DS-{fo['id']}/confirm"
    missing = await client.post(url, json={"carrier": "UPS"}, headers=org.headers)
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "tracking_number")
    body = {"carrier": "UPS", "tracking_number": "1Z0001", "lines": [{"sku": SKU, "quantity": 1}]}
    first = await client.post(url, json=body, headers=org.headers)
    again = await client.post(url, json=body, headers=org.headers)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["fulfillment_status"] == "accepted"  # 2 units still to come
    assert (await stock_of(client, org.headers, SKU))["SUP"]["on_hand"] == 99
    rest = await client.post(
        url, json={"carrier": "UPS", "tracking_number": "1Z0002"}, headers=org.headers
    )
    assert rest.json()["fulfillment_status"] == "shipped"
    assert (await stock_of(client, org.headers, SKU))["SUP"]["on_hand"] == 97
    other = await client.post("/v1/drop-ship/DS-999999999/confirm", json=body, headers=org.headers)
    assert other.status_code == 404


async def test_a_cancellation_is_asked_by_email_and_the_suppliers_answer_cancels(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    mail_installation: Installation,
    smtp_server: tuple[Mailbox, int],  # noqa: F811
) -> None:
    mailbox = smtp_server[0]
    jobs = await drop_shipping(db, client, org, mail_installation)
    placed = await place_order(db, org, [(SKU, 1)])
    await jobs.send()
    [fo] = await fulfillment_orders(client, org, placed["id"])
    po = f"DS-{fo['id']}"
    asked = await client.post(
        f"/v1/orders/{placed['id']}/cancel", json={"reason": "customer"}, headers=org.headers
    )
    assert asked.status_code == 202
    assert await jobs.withdraw_all() == ["requested"]
    assert [
        m["Subject"]
        for m in mailbox.to(SUPPLIER)
        if f"Cancel drop-ship purchase order {po}" == m["Subject"]
    ]
    answer = await client.post(
        f"/v1/drop-ship/{po}/confirm",
        json={"outcome": "not_sent", "reason": "not shipped yet"},
        headers=org.headers,
    )
    assert answer.status_code == 200, answer.text
    order = (await client.get(f"/v1/orders/{placed['id']}", headers=org.headers)).json()
    assert order["status"] == "cancelled"
    stock = (await stock_of(client, org.headers, SKU))["SUP"]
    assert (stock["on_hand"], stock["reserved"]) == (100, 0)
