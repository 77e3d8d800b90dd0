"""A real SMTP server (aiosmtpd) and a real HTTP webhook receiver, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """Keeps every message the server accepted. `stall` makes the next DATA hang (a sender
    killed while the server has not answered yet)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.stall = False
        self.stalled = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.stall:
            self.stall = False
            self.stalled.set()
            await asyncio.sleep(3600)
        content = envelope.content
        assert isinstance(content, bytes)
        self.messages.append(email.message_from_bytes(content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def smtp_settings(settings: Settings, smtp_server: tuple[Mailbox, int]) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server[1],
            "smtp_starttls": False,
            "smtp_from": "Northwind <orders@northwind.example>",
            "public_url": "https://shop.example",
        }
    )


@pytest.fixture
def eml_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"smtp_host": None, "data_dir": tmp_path})


@pytest_asyncio.fixture(scope="session")
async def strict_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The API as in production: outbound URLs may not reach private addresses."""
    app = create_app(settings.model_copy(update={"allow_private_urls": False}), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orderly.test") as c:
        yield c


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A small HTTP/1.1 server: answers each POST with the next scripted status (200 when the
    script is used up) and keeps what it received."""

    port: int = 0
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/orderly"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(path, headers, body))
            status = self.script.pop(0) if self.script else 200
            reply = b"ok" if status < 300 else b"receiver unavailable"
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: {len(reply)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + reply
            )
            await writer.drain()
        finally:
            writer.close()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    server = await asyncio.start_server(hook.handle, "127.0.0.1", 0)
    hook.port = server.sockets[0].getsockname()[1]
    async with server:
        yield hook
        server.close()


def text_part(message: Message, subtype: str = "plain") -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            payload: Any = part.get_payload(decode=True)
            return bytes(payload).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part")
