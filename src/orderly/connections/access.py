"""A connection as the jobs use it: its row, the connector built for it, and what a platform
call's outcome makes of its health."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderly.connections import repository as repo
from orderly.connections.platform_http import platform_http
from orderly.connections.port import PlatformAccess, SalesChannel
from orderly.connections.registry import sales_channel
from orderly.connections.schemas import ConnectionSettings
from orderly.connections.service import Installation
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.vendor_http import routed_transport


def connector_for(
    row: Any, installation: Installation, database: Database | None = None
) -> SalesChannel:
    """The connector for a connection; with `database`, credentials the platform rotates on
    refresh are kept as soon as the connector has them."""
    settings = ConnectionSettings.model_validate(row.settings)
    http = platform_http(
        row.platform,
        policy=installation.policy(settings),
        transport=routed_transport(row.base_url),
    )
    credentials = installation.vault.open_json(row.credentials_encrypted)

    async def keep(rotated: Mapping[str, str]) -> None:
        assert database is not None
        sealed = installation.vault.seal_json({**credentials, **rotated})
        async with database.transaction() as tx:
            await repo.update_connection(
                tx.connection,
                org_id=row.org_id,
                connection_id=row.id,
                values={"credentials_encrypted": sealed},
            )

    access = PlatformAccess(
        base_url=row.base_url,
        credentials=credentials,
        settings=settings.for_connector(),
        http=http,
        keep_credentials=keep if database is not None else None,
    )
    return sales_channel(row.platform, access)


async def connection_row(database: Database, connection_id: int) -> Any | None:
    async with database.transaction() as tx:
        return await repo.connection_for_job(tx.connection, connection_id)


async def record_failure(database: Database, row: Any, activity: str, error: OrderlyError) -> None:
    health = {
        "platform_unavailable": "unreachable",
        "platform_rate_limited": "ok",
        "platform_credentials_refused": "credentials_refused",
    }.get(error.code, "refused")
    async with database.transaction() as tx:
        await repo.record_error(
            tx.connection,
            org_id=row.org_id,
            connection_id=row.id,
            activity=activity,
            code=error.code,
            detail=error.detail,
        )
        await repo.update_connection(
            tx.connection,
            org_id=row.org_id,
            connection_id=row.id,
            values={"health": health, "health_detail": error.detail, "checked_at": utcnow()},
        )


async def record_healthy(database: Database, row: Any, **values: Any) -> None:
    async with database.transaction() as tx:
        await repo.update_connection(
            tx.connection,
            org_id=row.org_id,
            connection_id=row.id,
            values={"health": "ok", "health_detail": None, "checked_at": utcnow(), **values},
        )
