"""A ship-back return's label: bought when the return is authorized, voided when it is
cancelled, with no database transaction open while the carrier answers (docs/architecture.md,
"Calls to carriers").

Authorizing takes two transactions around the carrier's call. The first claims the return for
a label purchase (`returns.label_purchase_id`); the second records the label and authorizes
the return, which stays `requested` until then. A label the second cannot use (the return was
cancelled meanwhile) is voided, or flagged for a person where the carrier cannot void. A label
that could not be bought, or not voided, is noted on the return (`label_problem`).

A drop-off return (in store) needs no label and is authorized in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.clock import utcnow
from orderly.kit.db import Database, Transaction
from orderly.kit.errors import OrderlyError
from orderly.kit.idempotency import KeyAcrossTransactions
from orderly.locations import service as locations
from orderly.orders import queries as order_queries
from orderly.returns import repository as repo
from orderly.returns import service
from orderly.returns.domain import ReturnMethod, ReturnSource, ReturnStatus, ensure_transition
from orderly.returns.errors import (
    ReturnAddressMissing,
    ReturnChangedWhileBuying,
    ReturnLabelBeingBought,
)
from orderly.returns.schemas import ReturnIn, ReturnOut
from orderly.shipping import label_purchases
from orderly.shipping import service as shipping
from orderly.shipping.domain import Parcel, ShipmentRequest
from orderly.shipping.label_purchases import Bought, Purchase
from orderly.tenancy.domain import Principal

# A returned parcel's size when nothing better is known: a medium mailer box.
RETURN_PARCEL_MM = (300, 250, 150)
DEFAULT_PARCEL_GRAMS = 1000


async def open_return(
    database: Database,
    principal: Principal,
    data: ReturnIn,
    *,
    source: ReturnSource = ReturnSource.STAFF,
    idempotency: KeyAcrossTransactions | None = None,
) -> ReturnOut:
    """Open a return and, unless `data.authorize` is false, authorize it. When its label
    cannot be bought the return is still opened, `requested`, with the reason in
    `label_problem`: authorizing it again tries again."""
    async with database.transaction() as tx:
        conn = tx.connection
        if idempotency is not None:
            await idempotency.check(tx)
        opened = await service.open_return(conn, principal, data, source=source)
        purchase = None
        if data.authorize:
            purchase = await _begin(conn, principal, opened.id, data.parcel_weight_grams)
        if purchase is None:
            out = await service.get_return(conn, principal.org_id, opened.id)
            _remember(tx, idempotency, 201, out)
            return out
    try:
        return await _finish(database, principal, opened.id, purchase, idempotency, status=201)
    except OrderlyError:
        async with database.transaction() as tx:
            out = await service.get_return(tx.connection, principal.org_id, opened.id)
            _remember(tx, idempotency, 201, out)
        return out


async def authorize_return(
    database: Database,
    principal: Principal,
    return_id: int,
    *,
    parcel_weight_grams: int = DEFAULT_PARCEL_GRAMS,
    idempotency: KeyAcrossTransactions | None = None,
) -> ReturnOut:
    """Authorize a requested return; a ship-back return gets its label. When the label cannot
    be bought the error is raised and the return stays `requested`."""
    async with database.transaction() as tx:
        conn = tx.connection
        if idempotency is not None:
            await idempotency.check(tx)
        purchase = await _begin(conn, principal, return_id, parcel_weight_grams)
        if purchase is None:
            out = await service.get_return(conn, principal.org_id, return_id)
            _remember(tx, idempotency, 200, out)
            return out
    return await _finish(database, principal, return_id, purchase, idempotency, status=200)


async def cancel_return(
    database: Database, principal: Principal, return_id: int, reason: str | None
) -> ReturnOut:
    """Cancel a return nothing of which has arrived. Its label, if the carrier has not
    scanned it, is voided once the cancellation is committed; a label that cannot be voided
    is noted in `label_problem` for a person."""
    org_id = principal.org_id
    async with database.transaction() as tx:
        conn = tx.connection
        row = await service.return_row(conn, org_id, return_id, for_update=True)
        to_void = row["shipment_id"] if row["status"] == ReturnStatus.AUTHORIZED.value else None
        if to_void is not None and not await shipping.is_voidable(conn, org_id, to_void):
            to_void = None
        out = await service.cancel_return(conn, principal, return_id, reason)
    if to_void is None:
        return out
    try:
        await shipping.void_shipment(database, org_id, to_void, principal.actor)
    except OrderlyError as error:
        problem = f"the label of the cancelled return was not voided: {error.detail}"
        async with database.transaction() as tx:
            await repo.update_return(tx.connection, org_id, return_id, label_problem=problem)
            return await service.get_return(tx.connection, org_id, return_id)
    return out


async def _begin(
    conn: AsyncConnection, principal: Principal, return_id: int, weight_grams: int
) -> Purchase | None:
    """The first transaction: a drop-off return is authorized at once (None); a ship-back
    return is claimed for a label purchase, which is returned."""
    org_id = principal.org_id
    row = await service.return_row(conn, org_id, return_id, for_update=True)
    ensure_transition(ReturnStatus(row["status"]), ReturnStatus.AUTHORIZED)
    if row["method"] != ReturnMethod.SHIP_BACK.value:
        await service.authorize(conn, principal, row, label=None)
        return None
    claimed = row["label_purchase_id"]
    if claimed is not None and await label_purchases.still_buying(conn, org_id, [claimed]):
        raise ReturnLabelBeingBought(
            "this return's label is being bought by another request; try again shortly"
        )
    purchase = await label_purchases.begin(
        conn,
        org_id,
        order_id=row["order_id"],
        fulfillment_order_id=None,
        request=await _label_request(conn, org_id, row, weight_grams),
        service=None,
        policy="cheapest",
        promise_date=None,
        actor=principal.actor,
    )
    await repo.update_return(conn, org_id, return_id, label_purchase_id=purchase.id)
    return purchase


async def _finish(
    database: Database,
    principal: Principal,
    return_id: int,
    purchase: Purchase,
    idempotency: KeyAcrossTransactions | None,
    *,
    status: int,
) -> ReturnOut:
    """Buy the label outside any transaction, then authorize the return with it."""
    try:
        bought = await label_purchases.buy(database, purchase)
    except OrderlyError as error:
        await _release(database, principal.org_id, return_id, purchase.id, error.detail)
        raise
    try:
        async with database.transaction() as tx:
            out = await _authorize_with(tx.connection, principal, return_id, bought)
            _remember(tx, idempotency, status, out)
    except Exception as error:
        reason = getattr(error, "detail", None) or type(error).__name__
        await label_purchases.give_back(database, bought, reason)
        await _release(database, principal.org_id, return_id, purchase.id, None)
        raise
    return out


async def _authorize_with(
    conn: AsyncConnection, principal: Principal, return_id: int, bought: Bought
) -> ReturnOut:
    """The second transaction: the label is recorded and the return authorized, if it is
    still the requested return this purchase was begun for."""
    row = await service.return_row(conn, principal.org_id, return_id, for_update=True)
    if (
        row["status"] != ReturnStatus.REQUESTED.value
        or row["label_purchase_id"] != bought.purchase.id
    ):
        raise ReturnChangedWhileBuying(
            f"return {row['number']} changed while its label was being bought"
        )
    [label, *_] = await label_purchases.record(conn, bought)
    await service.authorize(conn, principal, row, label=label)
    return await service.get_return(conn, principal.org_id, return_id)


async def _release(
    database: Database, org_id: int, return_id: int, purchase_id: int, problem: str | None
) -> None:
    """The return's claim ends with its purchase; `problem` says why no label was bought."""
    async with database.transaction() as tx:
        await repo.release_label_claim(
            tx.connection, org_id, return_id, purchase_id, problem=problem
        )


async def _label_request(
    conn: AsyncConnection, org_id: int, row: dict[str, Any], weight_grams: int
) -> ShipmentRequest:
    """From the customer's address (the order's) to the location that takes the return."""
    order = await order_queries.order_row(conn, org_id, row["order_id"])
    assert order is not None
    customer = order["shipping_address"] or order["billing_address"]
    if not customer or not customer.get("postal_code") or not customer.get("country"):
        raise ReturnAddressMissing(
            "the order has no address to collect the return from", field="method"
        )
    location = await locations.get_location(conn, org_id, row["location_id"])
    length, width, height = RETURN_PARCEL_MM
    return ShipmentRequest(
        org_id=org_id,
        ship_from=dict(customer),
        ship_to={"name": location.name, **location.address.model_dump(exclude_none=True)},
        parcels=[Parcel(weight_grams, length, width, height)],
        ship_date=utcnow().date(),
        reference=str(row["number"]),
    )


def _remember(
    tx: Transaction, idempotency: KeyAcrossTransactions | None, status: int, out: ReturnOut
) -> None:
    if idempotency is not None:
        idempotency.remember(tx, (status, out.model_dump_json().encode()))
