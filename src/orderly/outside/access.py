"""A provider as the jobs use it: the installation's keys and policies, the connector built for
a location's row, and what an exchange's outcome makes of its health."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.outbound import OutboundPolicy
from orderly.kit.secrets import secret_key
from orderly.kit.vault import Vault, vault_for
from orderly.notifications import mailer
from orderly.outside import repository as repo
from orderly.outside.domain import confirmation_token
from orderly.outside.port import FulfillmentProvider, ProviderAccess
from orderly.outside.provider_http import provider_http
from orderly.outside.registry import fulfillment_provider
from orderly.outside.shipbob.connector import ShipBobSettings, base_url
from orderly.settings import Settings

HEALTH_OF_ERROR = {
    "provider_unavailable": "unreachable",
    "provider_rate_limited": "ok",
    "provider_outcome_unknown": "unreachable",
    "provider_credentials_refused": "credentials_refused",
    "provider_host_key_refused": "credentials_refused",
}


@dataclass(frozen=True)
class Installation:
    """What the installation decides for every provider: its secret (credentials at rest,
    suppliers' links), whether private addresses may be called, its public URL and its mail."""

    settings: Settings
    vault: Vault
    secret: str

    @classmethod
    def of(cls, settings: Settings) -> Installation:
        return cls(settings=settings, vault=vault_for(settings), secret=secret_key(settings))

    @property
    def policy(self) -> OutboundPolicy:
        return OutboundPolicy(allow_private=self.settings.allow_private_urls)

    def confirm_url(self, org_id: int, po_number: str) -> str:
        token = confirmation_token(self.secret, org_id, po_number)
        return f"{self.settings.public_url.rstrip('/')}/drop-ship/{po_number}?token={token}"

    def webhook_url(self, provider_id: int) -> str:
        return f"{self.settings.public_url.rstrip('/')}/hooks/outside/{provider_id}"

    def connector(self, row: Any) -> FulfillmentProvider:
        http = None
        if row.kind == "shipbob":
            url = base_url(ShipBobSettings.model_validate(row.settings))
            http = provider_http(row.kind, url, policy=self.policy)

        async def send_mail(message: EmailMessage) -> str:
            return await mailer.deliver_as(
                self.settings,
                message,
                org_id=row.org_id,
                name=f"drop-ship-{message['X-Orderly-Reference']}",
            )

        access = ProviderAccess(
            settings=row.settings,
            credentials=self.vault.open_json(row.credentials_encrypted),
            http=http,
            policy=self.policy,
            mailer=send_mail,
            sender=self.settings.smtp_from,
        )
        return fulfillment_provider(row.kind, access)


async def provider_row(database: Database, provider_id: int) -> Any | None:
    async with database.reading() as conn:
        return await repo.provider_by_id(conn, provider_id)


async def record_failure(
    database: Database, row: Any, activity: str, error: OrderlyError, *, health: bool = True
) -> None:
    """Keep the error; with `health`, the provider's health says what it means (an order the
    provider refused says nothing of the provider itself)."""
    async with database.transaction() as tx:
        await repo.record_error(
            tx.connection,
            org_id=row.org_id,
            provider_id=row.id,
            activity=activity,
            code=error.code,
            detail=error.detail,
        )
        values: dict[str, Any] = {"last_error_at": utcnow()}
        if health:
            values.update(
                health=HEALTH_OF_ERROR.get(error.code, "refused"), health_detail=error.detail[:500]
            )
        await repo.update_provider(tx.connection, row.id, **values)


async def record_healthy(database: Database, row: Any, **values: Any) -> None:
    async with database.transaction() as tx:
        await repo.update_provider(
            tx.connection,
            row.id,
            health="ok",
            health_detail=None,
            last_exchange_at=utcnow(),
            **values,
        )


async def check(database: Database, installation: Installation, provider_id: int) -> str:
    """One cheap exchange with the provider; its health says how it went."""
    row = await provider_row(database, provider_id)
    if row is None:
        return "gone"
    connector = installation.connector(row)
    credentials = installation.vault.open_json(row.credentials_encrypted)
    try:
        await connector.check()
        kept = (
            {}
            if "webhook_secret" in credentials
            else await connector.subscribe(installation.webhook_url(row.id))
        )
    except OrderlyError as error:
        await record_failure(database, row, "check", error)
        return error.code
    finally:
        await connector.close()
    if kept:
        async with database.transaction() as tx:
            sealed = installation.vault.seal_json({**credentials, **kept})
            await repo.update_provider(tx.connection, row.id, credentials_encrypted=sealed)
    await record_healthy(database, row)
    return "ok"
