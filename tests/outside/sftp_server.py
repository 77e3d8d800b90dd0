"""A real SFTP server in the test's process (asyncssh): a key made for the test, a temporary
directory as its root, one user with a password (or a key)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

DIRECTORIES = ("outbox", "shipments", "stock", "archive")


@dataclass
class SftpServer:
    root: Path
    port: int
    host_key: str  # the server's public key, as a provider's settings pin it
    username: str = "tpl"
    password: str = "s3cret-pass"

    def settings(self, **overrides: Any) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "username": self.username,
            "host_key": self.host_key,
            **overrides,
        }

    def files(self, directory: str) -> list[str]:
        return sorted(p.name for p in (self.root / directory).iterdir())

    def drop(self, directory: str, name: str, text: str) -> None:
        """The provider writes a file (aside, then renamed, as a careful provider does)."""
        partial = self.root / directory / f".{name}.part"
        partial.write_text(text)
        partial.rename(self.root / directory / name)

    def take(self, name: str) -> str:
        """The provider takes our order file out of the outbox; returns its content."""
        path = self.root / "outbox" / name
        text = path.read_text()
        path.unlink()
        return text


class _Server(asyncssh.SSHServer):
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.username and password == self.password


def _prepare(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for directory in DIRECTORIES:
        (root / directory).mkdir(exist_ok=True)


@asynccontextmanager
async def sftp_server(
    root: Path, *, client_key: asyncssh.SSHKey | None = None
) -> AsyncIterator[SftpServer]:
    _prepare(root)
    key = asyncssh.generate_private_key("ssh-ed25519")
    server = SftpServer(root=root, port=0, host_key=key.export_public_key().decode().strip())
    listener = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[key],
        server_factory=lambda: _Server(server.username, server.password),
        sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=str(root).encode()),
        authorized_client_keys=(
            asyncssh.import_authorized_keys(client_key.export_public_key().decode())
            if client_key
            else None
        ),
        allow_scp=False,
    )
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()
