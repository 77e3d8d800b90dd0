"""A supplier's confirmation of a drop-ship purchase order: shipped with its tracking (the
fulfillment order ships as any provider's shipment) or not sent (sourced again, or the order
cancelled when we had asked). Given twice, it is applied once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import outside as fulfillment
from orderly.outside import events
from orderly.outside import repository as repo
from orderly.outside.domain import SkuMap, token_matches
from orderly.outside.errors import (
    ConfirmationLinkRefused,
    InvalidConfirmation,
    NotOutAtProvider,
    PurchaseOrderNotFound,
)
from orderly.outside.port import EventKind, ProviderEvent, ShippedParcel
from orderly.outside.schemas import ConfirmationIn, ConfirmationOut


async def purchase_order(
    conn: AsyncConnection, po_number: str, *, org_id: int | None, token: str | None, secret: str
) -> Any:
    """The drop-ship order by its number: an operator's organization must own it; a link's
    token must be the one made for it."""
    sent = await repo.order_out(conn, reference=po_number)
    if sent is None or (org_id is not None and sent.org_id != org_id):
        raise PurchaseOrderNotFound(f"no drop-ship purchase order {po_number}")
    if org_id is None and not (token and token_matches(secret, sent.org_id, po_number, token)):
        raise ConfirmationLinkRefused("this link does not open that purchase order")
    return sent


async def open_lines(conn: AsyncConnection, sent: Any) -> list[tuple[str, str, str, int]]:
    """(our SKU, the supplier's, name, units) still to send."""
    provider = await repo.provider_by_id(conn, sent.provider_id) if sent.provider_id else None
    skus = SkuMap(dict(provider.settings.get("sku_map") or {}) if provider else {})
    fo = await fulfillment.order_to_send(conn, sent.org_id, sent.fulfillment_order_id)
    return [(x.sku, skus.theirs(x.sku), x.name, x.quantity) for x in fo.lines] if fo else []


async def confirm(
    conn: AsyncConnection,
    po_number: str,
    data: ConfirmationIn,
    *,
    org_id: int | None,
    secret: str,
) -> ConfirmationOut:
    sent = await purchase_order(conn, po_number, org_id=org_id, token=data.token, secret=secret)
    provider = await repo.provider_by_id(conn, sent.provider_id) if sent.provider_id else None
    if provider is None:
        raise NotOutAtProvider(f"{po_number} is no longer with a supplier")
    if data.outcome == "shipped":
        if not data.tracking_number:
            raise InvalidConfirmation(
                "a shipped confirmation needs its tracking number", field="tracking_number"
            )
        skus = SkuMap(dict(provider.settings.get("sku_map") or {}))
        theirs = set(skus.ours_to_theirs.values())
        units = (
            {sku: q for _, sku, _, q in await open_lines(conn, sent)}
            if data.lines is None
            else _units(data, skus, theirs)
        )
        event = ProviderEvent(
            f"confirmation:{po_number}:{data.tracking_number}",
            EventKind.SHIPPED,
            po_number,
            parcels=(ShippedParcel(data.tracking_number, data.carrier, None, units),),
        )
    else:
        event = ProviderEvent(
            f"confirmation:{po_number}:not_sent",
            EventKind.CANCELLED,
            po_number,
            reason=data.reason or "the supplier will not send it",
        )
    await events.apply_in(conn, provider, event)
    return await present(conn, po_number)


def _units(data: ConfirmationIn, skus: SkuMap, theirs: set[str]) -> dict[str, int]:
    units: dict[str, int] = {}
    for line in data.lines or []:
        sku = line.sku if line.sku in theirs else skus.theirs(line.sku)
        units[sku] = units.get(sku, 0) + line.quantity
    return units


async def present(conn: AsyncConnection, po_number: str) -> ConfirmationOut:
    sent = await repo.order_out(conn, reference=po_number)
    assert sent is not None
    status = await repo.fulfillment_status_of(conn, sent.fulfillment_order_id)
    return ConfirmationOut(
        po_number=po_number,
        status=sent.status,
        fulfillment_order_id=sent.fulfillment_order_id,
        order_id=sent.order_id,
        fulfillment_status=status,
    )
