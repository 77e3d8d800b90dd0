"""An SFTP file exchange as a provider: our order files written to its `outbox` (aside, then
renamed), its confirmation and stock files read from `shipments` and `stock` and archived once
applied. The server's key is pinned in the settings: any other key is refused."""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, ClassVar, TypeVar

import asyncssh
from pydantic import BaseModel, Field, StringConstraints, field_validator

from orderly.kit.errors import InvalidInput
from orderly.kit.outbound import resolve
from orderly.outside.errors import (
    HostKeyRefused,
    ProviderCredentialsRefused,
    ProviderUnavailable,
)
from orderly.outside.port import (
    CancelOutcome,
    EventKind,
    ExchangeProblem,
    OutboundOrder,
    Polled,
    ProviderAccess,
    ProviderEvent,
    SentOrder,
    StockSnapshot,
)
from orderly.outside.settings import ProviderSettings
from orderly.outside.sftp import files

T = TypeVar("T")
CONNECT_TIMEOUT = 20
Directory = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00]+$"),
]


class SftpSettings(ProviderSettings):
    host: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    username: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    host_key: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)] = Field(
        description="The server's public key (OpenSSH format): no other key is accepted"
    )
    outbox: Directory = "outbox"
    shipments: Directory = "shipments"
    stock: Directory = "stock"
    archive: Directory = "archive"

    @field_validator("host_key")
    @classmethod
    def _a_public_key(cls, value: str) -> str:
        try:
            asyncssh.import_public_key(value)
        except (asyncssh.KeyImportError, ValueError):
            raise ValueError("not a public key in OpenSSH format") from None
        return value


class SftpExchange:
    kind: ClassVar[str] = "sftp"
    settings_model: ClassVar[type[BaseModel]] = SftpSettings
    credential_choices: ClassVar[tuple[tuple[str, ...], ...]] = (("password",), ("private_key",))
    notes: ClassVar[tuple[str, ...]] = (
        "The provider takes an order by taking its file out of the outbox (accepted then).",
        "A file with the same name is the same order: the provider must not ship it twice.",
        "Cancelling an order whose file was taken writes a cancellation file: the provider"
        " answers with a confirmation row (cancelled, or shipped).",
        "News and stock come as often as the provider writes files; delivery is not followed.",
    )

    def __init__(self, access: ProviderAccess) -> None:
        self.settings = SftpSettings.model_validate(access.settings)
        self.credentials = access.credentials
        self.policy = access.policy
        self._connection: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None

    async def send(self, order: OutboundOrder) -> SentOrder:
        sftp = await self._client()
        name = files.order_file_name(order.reference)
        final = self._path(self.settings.outbox, name)
        if not await _exists(sftp, final):
            partial = self._path(self.settings.outbox, f".{name}.part")
            await _write(sftp, partial, files.order_csv(order))
            await _guard(sftp.posix_rename(partial, final))
        return SentOrder(order.reference, name)

    async def find(self, reference: str) -> SentOrder | None:
        sftp = await self._client()
        name = files.order_file_name(reference)
        if await _exists(sftp, self._path(self.settings.outbox, name)):
            return SentOrder(reference, name)
        return None

    async def cancel(self, sent: SentOrder, *, reason: str) -> CancelOutcome:
        """Not taken yet: the file is removed and the provider never sees it. Taken: a
        cancellation file asks, and the answer comes back as a confirmation row."""
        sftp = await self._client()
        path = self._path(self.settings.outbox, files.order_file_name(sent.reference))
        if await _exists(sftp, path):
            await _guard(sftp.remove(path))
            return CancelOutcome.CANCELLED
        name = files.cancel_file_name(sent.reference)
        partial = self._path(self.settings.outbox, f".{name}.part")
        await _write(sftp, partial, files.cancel_csv(sent.reference, reason))
        await _guard(sftp.posix_rename(partial, self._path(self.settings.outbox, name)))
        return CancelOutcome.REQUESTED

    async def poll(self, open_orders: Sequence[SentOrder]) -> Polled:
        sftp = await self._client()
        waiting = set(await self._names(sftp, self.settings.outbox))
        events = [
            ProviderEvent(f"taken:{o.reference}", EventKind.ACCEPTED, o.reference)
            for o in open_orders
            if files.order_file_name(o.reference) not in waiting
        ]
        problems: list[ExchangeProblem] = []
        sources: list[str] = []
        for name in await self._names(sftp, self.settings.shipments):
            text = await _read(sftp, self._path(self.settings.shipments, name))
            read = files.read_confirmations(name, text)
            events.extend(read.events)
            problems.extend(read.problems)
            sources.append(self._path(self.settings.shipments, name))
        return Polled(events=tuple(events), problems=tuple(problems), sources=tuple(sources))

    async def archive(self, sources: Sequence[str]) -> None:
        sftp = await self._client()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        for source in sources:
            target = self._path(self.settings.archive, f"{stamp}-{posixpath.basename(source)}")
            await _guard(sftp.posix_rename(source, target))

    async def stock(self) -> StockSnapshot | None:
        """The oldest stock file not yet archived (each is read in turn)."""
        sftp = await self._client()
        names = await self._names(sftp, self.settings.stock)
        if not names:
            return None
        path = self._path(self.settings.stock, names[0])
        attrs = await _guard(sftp.stat(path))
        written = datetime.fromtimestamp(attrs.mtime, UTC) if attrs.mtime else None
        snapshot = files.read_stock(names[0], await _read(sftp, path), written_at=written)
        return StockSnapshot(
            snapshot_id=snapshot.snapshot_id,
            taken_at=snapshot.taken_at,
            on_hand=snapshot.on_hand,
            problems=snapshot.problems,
            source=path,
        )

    async def check(self) -> None:
        sftp = await self._client()
        for directory in (self.settings.outbox, self.settings.shipments, self.settings.stock):
            await _guard(sftp.listdir(directory))

    async def subscribe(self, url: str) -> Mapping[str, str]:
        return {}

    async def close(self) -> None:
        if self._sftp is not None:
            self._sftp.exit()
        if self._connection is not None:
            self._connection.close()
            await self._connection.wait_closed()
        self._sftp = self._connection = None

    def _path(self, directory: str, name: str) -> str:
        return posixpath.join(directory, name)

    async def _names(self, sftp: asyncssh.SFTPClient, directory: str) -> list[str]:
        """CSV files of a directory, by name (files being written have another ending)."""
        names = await _guard(sftp.listdir(directory))
        return sorted(
            str(n) for n in names if str(n).endswith(".csv") and not str(n).startswith(".")
        )

    async def _client(self) -> asyncssh.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        settings = self.settings
        try:
            addresses = await resolve(settings.host, settings.port, self.policy)
        except InvalidInput as refused:
            raise ProviderUnavailable(f"SFTP host {settings.host}: {refused.detail}") from None
        pinned = asyncssh.import_public_key(settings.host_key)
        keys = (
            [asyncssh.import_private_key(self.credentials["private_key"])]
            if self.credentials.get("private_key")
            else None
        )
        try:
            self._connection = await asyncssh.connect(
                str(addresses[0]),
                settings.port,
                username=settings.username,
                password=self.credentials.get("password"),
                client_keys=keys,
                known_hosts=([pinned], [], []),
                agent_path=None,
                config=None,
                connect_timeout=CONNECT_TIMEOUT,
            )
            self._sftp = await self._connection.start_sftp_client()
        except asyncssh.HostKeyNotVerifiable:
            raise HostKeyRefused(
                f"{settings.host} showed a host key other than the one pinned in the settings"
            ) from None
        except asyncssh.PermissionDenied:
            raise ProviderCredentialsRefused(f"{settings.host} refused the credentials") from None
        except (OSError, asyncssh.Error) as error:
            raise ProviderUnavailable(f"SFTP {settings.host}: {error}") from None
        return self._sftp


async def _guard(call: Awaitable[T]) -> T:
    try:
        return await call
    except asyncssh.SFTPError as error:
        raise ProviderUnavailable(f"SFTP: {error.reason}") from None
    except (OSError, asyncssh.Error) as error:
        raise ProviderUnavailable(f"SFTP: {error}") from None


async def _exists(sftp: asyncssh.SFTPClient, path: str) -> bool:
    return bool(await _guard(sftp.exists(path)))


async def _write(sftp: asyncssh.SFTPClient, path: str, content: bytes) -> None:
    try:
        async with sftp.open(path, "wb") as handle:
            await handle.write(content)
    except (OSError, asyncssh.Error) as error:
        raise ProviderUnavailable(f"SFTP: writing {path}: {error}") from None


async def _read(sftp: asyncssh.SFTPClient, path: str) -> str:
    try:
        async with sftp.open(path, "rb") as handle:
            content = await handle.read()
    except (OSError, asyncssh.Error) as error:
        raise ProviderUnavailable(f"SFTP: reading {path}: {error}") from None
    raw = content if isinstance(content, bytes) else str(content).encode()
    return raw.decode("utf-8-sig", errors="replace")
