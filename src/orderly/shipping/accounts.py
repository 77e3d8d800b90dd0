"""Carrier accounts: which carriers an organization uses, their rate cards and credentials."""

from __future__ import annotations

from importlib import resources
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.kit.vault import Vault, vault_for
from orderly.settings import Settings
from orderly.shipping import repository as repo
from orderly.shipping import webhooks
from orderly.shipping.carriers.base import Carrier, CarrierAccount
from orderly.shipping.carriers.registry import build_carrier, carrier_features, carrier_kinds
from orderly.shipping.domain import offered
from orderly.shipping.errors import CarrierCodeTaken, CarrierNotFound, UnknownCarrierKind
from orderly.shipping.rate_card import RateCard, parse_rate_card
from orderly.shipping.schemas import CarrierAccountIn, CarrierAccountOut, RateCardSummary

# (code, name, tracking prefix) of the demo carriers; their rate cards are rate_cards/<code>.csv.
DEMO_CARRIERS: tuple[tuple[str, str, str], ...] = (
    ("parcelway", "Parcelway", "PW"),
    ("swiftpost", "SwiftPost", "SP"),
)


async def create_carrier_account(
    conn: AsyncConnection, org_id: int, data: CarrierAccountIn, *, vault: Vault
) -> CarrierAccountOut:
    if data.kind not in carrier_kinds():
        raise UnknownCarrierKind(f"kind must be one of {', '.join(carrier_kinds())}", field="kind")
    row = await repo.insert_account(
        conn,
        {
            "org_id": org_id,
            "code": data.code,
            "name": data.name,
            "kind": data.kind,
            "settings": data.settings,
            "credentials_encrypted": vault.seal_json(data.credentials)
            if data.credentials
            else None,
        },
    )
    if not row:
        raise CarrierCodeTaken(f"a carrier {data.code!r} is already configured", field="code")
    await webhooks.ensure_webhook(conn, org_id, vault=vault)
    return account_out(row)


async def list_carrier_accounts(
    conn: AsyncConnection, org_id: int, *, limit: int, cursor: str | None
) -> Page[CarrierAccountOut]:
    after = id_cursor(cursor)
    rows = await repo.list_accounts(conn, org_id, after_id=after, limit=limit + 1)
    items = [account_out(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


async def load_rate_card(
    conn: AsyncConnection, org_id: int, carrier_code: str, csv_text: str
) -> CarrierAccountOut:
    """Replace a carrier account's rate card with the one in ``csv_text`` (see rate_card.py)."""
    account = await repo.account_by_code(conn, org_id, carrier_code)
    if account is None:
        raise CarrierNotFound(f"no carrier {carrier_code!r} is configured")
    card = parse_rate_card(csv_text)
    row = await repo.store_rate_card(conn, org_id, account["id"], card.to_json())
    return account_out(row)


def demo_rate_card(code: str) -> str:
    return (resources.files("orderly.shipping") / "rate_cards" / f"{code}.csv").read_text()


async def install_demo_carriers(conn: AsyncConnection, org_id: int) -> list[str]:
    """Configure Parcelway and SwiftPost with their demo rate cards (a ground and an express
    service each); carriers already configured are left as they are."""
    installed = []
    for code, name, prefix in DEMO_CARRIERS:
        row = await repo.insert_account(
            conn,
            {
                "org_id": org_id,
                "code": code,
                "name": name,
                "kind": "rate_table",
                "settings": {"tracking_prefix": prefix},
            },
        )
        if row:
            await load_rate_card(conn, org_id, code, demo_rate_card(code))
            installed.append(code)
    return installed


async def org_carriers(
    conn: AsyncConnection, org_id: int, *, vault: Vault | None = None
) -> dict[str, tuple[int, Carrier]]:
    """The organization's active carriers by code, with their account ids."""
    carriers: dict[str, tuple[int, Carrier]] = {}
    for row in await repo.list_accounts(conn, org_id, active_only=True):
        if row["kind"] not in carrier_kinds():
            continue
        credentials: dict[str, str] = {}
        if row["credentials_encrypted"] is not None:
            vault = vault or _default_vault()
            credentials = vault.open_json(row["credentials_encrypted"])
        account = CarrierAccount(
            id=row["id"],
            org_id=org_id,
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            settings=dict(row["settings"] or {}),
            credentials=credentials,
            rate_card=RateCard.from_json(row["rate_card"]) if row["rate_card"] else None,
            allow_private_urls=(_process_settings or Settings()).allow_private_urls,
        )
        carriers[account.code] = (account.id, build_carrier(account))
    return carriers


def account_out(row: dict[str, Any]) -> CarrierAccountOut:
    summary = None
    if row["rate_card"]:
        card = RateCard.from_json(row["rate_card"])
        summary = RateCardSummary(**card.summary(), loaded_at=row["rate_card_loaded_at"])
    features = carrier_features(row["kind"])
    offers, lacks = offered(features) if features is not None else ([], [])
    return CarrierAccountOut(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        settings=dict(row["settings"] or {}),
        has_credentials=row["credentials_encrypted"] is not None,
        offers=offers,
        lacks=lacks,
        rate_card=summary,
        active=row["active"],
        created_at=row["created_at"],
    )


# The settings this process was started with (create_app sets them), for opening a carrier's
# credentials without a request at hand, e.g. while a return is cancelled.
_process_settings: Settings | None = None


def use_settings(settings: Settings) -> None:
    global _process_settings
    _process_settings = settings


def _default_vault() -> Vault:
    return vault_for(_process_settings or Settings())
