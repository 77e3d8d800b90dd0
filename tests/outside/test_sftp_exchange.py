"""The SFTP exchange against a real SFTP server started by the test, and its file layouts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncssh
import pytest
import pytest_asyncio

from orderly.kit.outbound import OutboundPolicy
from orderly.outside.errors import HostKeyRefused, ProviderCredentialsRefused
from orderly.outside.port import (
    CancelOutcome,
    EventKind,
    OutboundLine,
    OutboundOrder,
    ProviderAccess,
    SentOrder,
    ShipTo,
)
from orderly.outside.sftp import files
from orderly.outside.sftp.exchange import SftpExchange
from tests.outside.sftp_server import SftpServer, sftp_server


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[SftpServer]:
    async with sftp_server(tmp_path / "sftp") as running:
        yield running


def exchange(server: SftpServer, **overrides: Any) -> SftpExchange:
    return SftpExchange(
        ProviderAccess(
            settings=server.settings(**overrides.pop("settings", {})),
            credentials=overrides.pop("credentials", {"password": server.password}),
            policy=OutboundPolicy(allow_private=True),
        )
    )


def order(reference: str = "FO-7") -> OutboundOrder:
    return OutboundOrder(
        reference=reference,
        order_number="1007",
        ship_to=ShipTo(name="Ann, Lee", line1='5 "Elm" St', city="Boston", country="US"),
        lines=(OutboundLine(1, "MUG", "Mug deluxe", 2), OutboundLine(2, "CUP", "Cup", 1)),
        ordered_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


class TestConnecting:
    async def test_a_server_showing_another_key_is_refused(self, server: SftpServer) -> None:
        other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
        stranger = exchange(server, settings={"host_key": other})
        with pytest.raises(HostKeyRefused):
            await stranger.check()
        assert server.files("outbox") == []

    async def test_a_wrong_password_is_refused_as_credentials(self, server: SftpServer) -> None:
        with pytest.raises(ProviderCredentialsRefused):
            await exchange(server, credentials={"password": "nope"}).check()

    async def test_a_private_key_signs_in(self, tmp_path: Path) -> None:
        key = asyncssh.generate_private_key("ssh-ed25519")
        async with sftp_server(tmp_path / "keyed", client_key=key) as keyed:
            private = key.export_private_key().decode()
            connector = exchange(keyed, credentials={"private_key": private})
            try:
                await connector.check()
            finally:
                await connector.close()


class TestOrdersOut:
    async def test_an_order_file_is_written_whole_and_once(self, server: SftpServer) -> None:
        connector = exchange(server)
        try:
            sent = await connector.send(order())
            again = await connector.send(order())
            assert sent == again == SentOrder("FO-7", "FO-7.csv")
            assert await connector.find("FO-7") == sent
            assert await connector.find("FO-8") is None
        finally:
            await connector.close()
        assert server.files("outbox") == ["FO-7.csv"]
        rows = (server.root / "outbox" / "FO-7.csv").read_text().splitlines()
        assert rows[0].split(",")[:6] == [
            "reference",
            "order_number",
            "line",
            "sku",
            "name",
            "quantity",
        ]
        assert rows[1].startswith('FO-7,1007,1,MUG,Mug deluxe,2,"Ann, Lee"')
        assert len(rows) == 3

    async def test_cancelling_removes_a_file_not_taken_and_asks_for_one_taken(
        self, server: SftpServer
    ) -> None:
        connector = exchange(server)
        try:
            first = await connector.send(order("FO-1"))
            second = await connector.send(order("FO-2"))
            server.take("FO-2.csv")
            assert await connector.cancel(first, reason="customer") is CancelOutcome.CANCELLED
            assert await connector.cancel(second, reason="customer") is CancelOutcome.REQUESTED
        finally:
            await connector.close()
        assert server.files("outbox") == ["FO-2.cancel.csv"]


class TestFilesIn:
    async def test_taken_files_are_accepted_and_confirmations_read_then_archived(
        self, server: SftpServer
    ) -> None:
        connector = exchange(server)
        try:
            sent = await connector.send(order("FO-1"))
            server.take("FO-1.csv")
            server.drop(
                "shipments",
                "ship-0001.csv",
                "reference,status,sku,quantity,carrier,tracking_number\n"
                "FO-1,shipped,MUG,2,UPS,1ZAAA\n"
                "FO-1,shipped,CUP,x,UPS,1ZAAA\n"
                "FO-1,shipped,CUP,1,UPS,1ZBBB\n",
            )
            polled = await connector.poll([sent])
            assert [e.kind for e in polled.events] == [
                EventKind.ACCEPTED,
                EventKind.SHIPPED,
                EventKind.SHIPPED,
            ]
            assert [(p.source, p.row) for p in polled.problems] == [("ship-0001.csv", 3)]
            await connector.archive(polled.sources)
        finally:
            await connector.close()
        assert server.files("shipments") == []
        assert [n.endswith("-ship-0001.csv") for n in server.files("archive")] == [True]


class TestLayouts:
    def test_a_file_without_the_columns_is_refused_whole(self) -> None:
        polled = files.read_confirmations("bad.csv", "order;status\nFO-1;shipped\n")
        assert polled.events == ()
        assert "reference" in polled.problems[0].detail

    def test_cancelled_rows_need_no_sku(self) -> None:
        polled = files.read_confirmations(
            "c.csv",
            "reference,status,sku,quantity,carrier,tracking_number,reason\n"
            "FO-3,cancelled,,,,,out of stock\nFO-4,lost,,,,,\n",
        )
        [event] = polled.events
        assert (event.kind, event.reference, event.reason) == (
            EventKind.CANCELLED,
            "FO-3",
            "out of stock",
        )
        assert [(p.row, "lost" in p.detail) for p in polled.problems] == [(3, True)]

    def test_a_stock_file_counts_each_sku_once(self) -> None:
        snapshot = files.read_stock(
            "stock-1.csv",
            "sku,on_hand,counted_at\nMUG,7,2026-01-05T06:00:00Z\nCUP,-1,\nMUG,3,\nTEA,0,\n",
            written_at=None,
        )
        assert snapshot.on_hand == {"MUG": 7, "TEA": 0}
        assert snapshot.taken_at == datetime(2026, 1, 5, 6, tzinfo=UTC)
        assert [p.row for p in snapshot.problems] == [3, 4]
