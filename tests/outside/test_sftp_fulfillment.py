"""A 3PL that exchanges files over SFTP: a real SFTP server in the test, and a robot playing the
3PL that takes our order files and drops confirmation and stock files."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from orderly.kit.db import Database
from orderly.outside.access import Installation
from tests.factories import Org, place_order
from tests.orders.helpers import ledger_mismatches, stock_of
from tests.outside.helpers import (
    SKU,
    Jobs,
    connect,
    fulfillment_orders,
    ledger_rows,
    outside_location,
    provider_id,
    timeline,
)
from tests.outside.sftp_server import SftpServer, sftp_server

HEADER = "reference,status,sku,quantity,carrier,tracking_number,reason\n"


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[SftpServer]:
    async with sftp_server(tmp_path / "sftp") as running:
        yield running


class Robot:
    """The 3PL's side of the exchange."""

    def __init__(self, server: SftpServer) -> None:
        self.server = server

    def take_orders(self) -> dict[str, list[dict[str, str]]]:
        taken = {}
        for name in self.server.files("outbox"):
            if name.endswith(".csv") and not name.endswith(".cancel.csv"):
                text = self.server.take(name)
                taken[name.removesuffix(".csv")] = list(csv.DictReader(io.StringIO(text)))
        return taken

    def confirm(self, name: str, rows: str) -> None:
        self.server.drop("shipments", name, HEADER + rows)

    def count(self, name: str, rows: str) -> None:
        self.server.drop("stock", name, "sku,on_hand\n" + rows)


async def sftp_3pl(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    server: SftpServer,
    installation: Installation,
) -> Jobs:
    await outside_location(db, org, "TPL")
    await connect(
        client,
        org,
        "TPL",
        {
            "kind": "sftp",
            "settings": server.settings(),
            "credentials": {"password": server.password},
        },
    )
    return Jobs(db, installation, await provider_id(db, org, "TPL"))


async def test_an_order_goes_out_as_a_file_and_the_3pls_files_ship_it(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    server: SftpServer,
    installation: Installation,
) -> None:
    jobs = await sftp_3pl(db, client, org, server, installation)
    robot = Robot(server)
    placed = await place_order(db, org, [(SKU, 3)])
    assert await jobs.send() == 1
    [fo] = await fulfillment_orders(client, org, placed["id"])
    reference = f"FO-{fo['id']}"
    assert server.files("outbox") == [f"{reference}.csv"]

    taken = robot.take_orders()
    assert [(r["sku"], r["quantity"], r["ship_to_city"]) for r in taken[reference]] == [
        (SKU, "3", "Boston")
    ]
    await jobs.poll()
    [fo] = await fulfillment_orders(client, org, placed["id"])
    assert fo["status"] == "accepted"

    robot.confirm(
        "shipments-0001.csv",
        f"{reference},shipped,{SKU},2,DHL,JD0001\n"
        f"{reference},shipped,{SKU},two,DHL,JD0002\n"
        f"{reference},shipped,{SKU},1,DHL,JD0002\n",
    )
    await jobs.poll()
    [fo] = await fulfillment_orders(client, org, placed["id"])
    assert fo["status"] == "shipped"
    assert sorted(p["tracking_number"] for p in fo["parcels"]) == ["JD0001", "JD0002"]
    stock = (await stock_of(client, org.headers, SKU))["TPL"]
    assert (stock["on_hand"], stock["reserved"]) == (7, 0)
    assert server.files("shipments") == []
    assert any(n.endswith("shipments-0001.csv") for n in server.files("archive"))
    provider = (await client.get("/v1/locations/TPL/provider", headers=org.headers)).json()
    assert [(e["source"], e["row"]) for e in provider["recent_errors"]] == [
        ("shipments-0001.csv", 3)
    ]
    shipped = [r["on_hand_delta"] for r in await ledger_rows(db, org, "shipped")]
    assert sorted(shipped) == [-2, -1]  # a parcel each
    await jobs.poll()  # nothing left to read, nothing applied twice
    assert len(await ledger_rows(db, org, "shipped")) == 2

    robot.count("stock-20260105.csv", f"{SKU},5\n")
    assert await jobs.stock() == 1
    [difference] = (
        await client.get("/v1/locations/TPL/provider/differences", headers=org.headers)
    ).json()["items"]
    assert (difference["expected"], difference["counted"], difference["snapshot_id"]) == (
        7,
        5,
        "stock-20260105.csv",
    )
    accepted = await client.post(
        f"/v1/locations/TPL/provider/differences/{difference['id']}/accept", headers=org.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert (await stock_of(client, org.headers, SKU))["TPL"]["on_hand"] == 5
    assert server.files("stock") == []
    assert await ledger_mismatches(db, org.id) == []


async def test_a_cancellation_the_3pl_confirms_by_file_cancels_the_order(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    server: SftpServer,
    installation: Installation,
) -> None:
    jobs = await sftp_3pl(db, client, org, server, installation)
    robot = Robot(server)
    placed = await place_order(db, org, [(SKU, 1)])
    await jobs.send()
    [fo] = await fulfillment_orders(client, org, placed["id"])
    reference = f"FO-{fo['id']}"
    robot.take_orders()
    asked = await client.post(
        f"/v1/orders/{placed['id']}/cancel", json={"reason": "customer"}, headers=org.headers
    )
    assert asked.status_code == 202
    assert await jobs.withdraw_all() == ["requested"]
    assert server.files("outbox") == [f"{reference}.cancel.csv"]
    assert (await client.get(f"/v1/orders/{placed['id']}", headers=org.headers)).json()[
        "status"
    ] == "allocated"

    robot.confirm("shipments-0002.csv", f"{reference},cancelled,,,,,customer asked\n")
    await jobs.poll()
    order = (await client.get(f"/v1/orders/{placed['id']}", headers=org.headers)).json()
    assert order["status"] == "cancelled"
    kinds = [e["type"] for e in await timeline(client, org, placed["id"])]
    assert kinds.count("order.cancellation_requested") == 1
    assert "order.cancelled" in kinds
    stock = (await stock_of(client, org.headers, SKU))["TPL"]
    assert (stock["on_hand"], stock["reserved"]) == (10, 0)


async def test_an_order_file_not_taken_yet_is_withdrawn_at_once(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    server: SftpServer,
    installation: Installation,
) -> None:
    jobs = await sftp_3pl(db, client, org, server, installation)
    placed = await place_order(db, org, [(SKU, 1)])
    await jobs.send()
    await client.post(
        f"/v1/orders/{placed['id']}/cancel", json={"reason": "customer"}, headers=org.headers
    )
    assert await jobs.withdraw_all() == ["cancelled"]
    assert server.files("outbox") == []
    order = (await client.get(f"/v1/orders/{placed['id']}", headers=org.headers)).json()
    assert order["status"] == "cancelled"
