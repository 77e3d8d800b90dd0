"""A location's provider as the API manages it (connect, show, disconnect) and the stock
differences a person decides. No provider is called here: the jobs do that."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory import service as inventory
from orderly.inventory.domain import AdjustmentReason
from orderly.kit.jobs import defer_job
from orderly.locations import service as locations
from orderly.locations.domain import LocationRef
from orderly.outside import repository as repo
from orderly.outside import stock_repository as counts
from orderly.outside.access import Installation
from orderly.outside.domain import DifferenceStatus, ensure_difference_transition, location_refusal
from orderly.outside.errors import (
    DifferenceNotFound,
    InvalidCredentials,
    InvalidProviderSettings,
    ProviderNotForLocation,
    ProviderNotFound,
)
from orderly.outside.registry import connector_class
from orderly.outside.schemas import (
    DifferenceOut,
    ProviderErrorOut,
    ProviderIn,
    ProviderOrderCounts,
    ProviderOut,
)
from orderly.tenancy.domain import Principal

CHECK_TASK = "outside:check_provider"
POLL_TASK = "outside:poll_provider"
STOCK_TASK = "outside:reconcile_stock"


async def location(conn: AsyncConnection, org_id: int, code: str) -> LocationRef:
    found = (await locations.locations_by_code(conn, org_id, [code])).get(code)
    if found is None:
        raise ProviderNotFound(f"no location {code!r}")
    return found


async def connect(
    conn: AsyncConnection, org_id: int, code: str, data: ProviderIn, *, installation: Installation
) -> ProviderOut:
    """Connect (or change) the location's provider; its check runs in a job."""
    place = await location(conn, org_id, code)
    connector = connector_class(data.kind)
    refusal = location_refusal(place.kind.value, data.kind)
    if refusal is not None:
        raise ProviderNotForLocation(refusal, field="kind")
    settings = _checked_settings(connector.settings_model, data.settings)
    _check_credentials(data.kind, connector.credential_choices, data.credentials)
    provider_id = await repo.save_provider(
        conn,
        org_id,
        place.id,
        {
            "kind": data.kind,
            "settings": settings,
            "credentials_encrypted": installation.vault.seal_json(dict(data.credentials)),
            "active": data.active,
            "health": "unknown",
            "health_detail": None,
        },
    )
    await defer_job(conn, CHECK_TASK, lock=f"provider:{provider_id}", provider_id=provider_id)
    return await get(conn, org_id, code, installation=installation)


def _checked_settings(model: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(model.model_validate(dict(given)).model_dump(mode="json"))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidProviderSettings(
            f"settings.{where}: {first['msg']}", field=f"settings.{where}"
        ) from None


def _check_credentials(
    kind: str, choices: tuple[tuple[str, ...], ...], credentials: Mapping[str, str]
) -> None:
    given = {k for k, v in credentials.items() if v}
    if any(given == set(choice) for choice in choices):
        return
    wanted = " or ".join(", ".join(c) or "none" for c in choices)
    raise InvalidCredentials(f"{kind} takes the credentials {wanted}", field="credentials")


async def get(
    conn: AsyncConnection, org_id: int, code: str, *, installation: Installation
) -> ProviderOut:
    place = await location(conn, org_id, code)
    row = await repo.provider_at(conn, org_id, place.id)
    if row is None:
        raise ProviderNotFound(f"location {code!r} has no provider")
    counts = await repo.counts_of(conn, row.id)
    errors = await repo.recent_errors(conn, row.id)
    return ProviderOut(
        location=row.location_code,
        kind=row.kind,
        active=row.active,
        settings=row.settings,
        credential_keys=sorted(installation.vault.open_json(row.credentials_encrypted)),
        health=row.health,
        health_detail=row.health_detail,
        last_exchange_at=row.last_exchange_at,
        last_error_at=row.last_error_at,
        last_poll_at=row.last_poll_at,
        last_stock_at=row.last_stock_at,
        orders=ProviderOrderCounts.model_validate(counts),
        pending_differences=counts["differences"],
        recent_errors=[
            ProviderErrorOut(
                at=e.created_at,
                activity=e.activity,
                code=e.code,
                detail=e.detail,
                source=e.source,
                row=e.row_number,
            )
            for e in errors
        ],
        notes=list(connector_class(row.kind).notes),
        webhook_url=(
            installation.webhook_url(row.id)
            if row.kind == "shipbob" and row.settings.get("webhooks")
            else None
        ),
        created_at=row.created_at,
    )


async def list_providers(
    conn: AsyncConnection, org_id: int, *, installation: Installation
) -> list[ProviderOut]:
    """Every location someone else operates, with its provider's health and counts."""
    return [
        await get(conn, org_id, row.location_code, installation=installation)
        for row in await repo.providers_of(conn, org_id)
    ]


async def disconnect(conn: AsyncConnection, org_id: int, code: str) -> None:
    """Orders still out at the provider stay as they are, to be handled by hand."""
    place = await location(conn, org_id, code)
    if not await repo.delete_provider(conn, org_id, place.id):
        raise ProviderNotFound(f"location {code!r} has no provider")


async def request(conn: AsyncConnection, org_id: int, code: str, task: str) -> None:
    """Poll the provider, or read its stock, now (in a job)."""
    row = await _provider(conn, org_id, code)
    # Polls and stock readings of one provider run one at a time (tasks._poll_lock).
    await defer_job(conn, task, lock=f"provider:{row.id}:poll", provider_id=row.id)


async def _provider(conn: AsyncConnection, org_id: int, code: str) -> Any:
    place = await location(conn, org_id, code)
    row = await repo.provider_at(conn, org_id, place.id)
    if row is None:
        raise ProviderNotFound(f"location {code!r} has no provider")
    return row


# Stock differences --------------------------------------------------------------------------


def difference_out(row: Any) -> DifferenceOut:
    return DifferenceOut(
        id=row.id,
        location=row.location,
        sku=row.sku,
        snapshot_id=row.snapshot_id,
        counted_at=row.counted_at,
        expected=row.expected,
        counted=row.counted,
        difference=row.counted - row.expected,
        on_hand_now=row.on_hand_now or 0,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


async def differences(
    conn: AsyncConnection, org_id: int, code: str, *, status: DifferenceStatus | None
) -> list[DifferenceOut]:
    row = await _provider(conn, org_id, code)
    found = await counts.differences_of(conn, row.id, status=status.value if status else None)
    return [difference_out(d) for d in found]


async def decide(
    conn: AsyncConnection,
    principal: Principal,
    code: str,
    difference_id: int,
    target: DifferenceStatus,
) -> DifferenceOut:
    """Accept (the ledger gets a row with reason 3pl_count, through inventory's own adjustment,
    refused like any adjustment that would take on_hand below what is reserved) or dismiss.
    The row is locked first: a second decision waits, then finds it decided (409)."""
    provider = await _provider(conn, principal.org_id, code)
    row = await counts.lock_difference(conn, provider.id, difference_id)
    if row is None:
        raise DifferenceNotFound(f"no stock difference {difference_id} at {code}")
    ensure_difference_transition(DifferenceStatus(row.status), target)
    [view] = await counts.differences_of(conn, provider.id, difference_id=difference_id)
    if target is DifferenceStatus.ACCEPTED:
        await inventory.adjust_stock(
            conn,
            principal.org_id,
            principal.actor,
            [
                inventory.Adjustment(
                    sku=view.sku,
                    location=view.location,
                    reason=AdjustmentReason.THREE_PL_COUNT,
                    delta=row.counted - row.expected,
                    reference=f"{code} count {row.snapshot_id}"[:200],
                )
            ],
        )
    await counts.decide_difference(conn, difference_id, status=target.value, actor=principal.actor)
    [view] = await counts.differences_of(conn, provider.id, difference_id=difference_id)
    return difference_out(view)
