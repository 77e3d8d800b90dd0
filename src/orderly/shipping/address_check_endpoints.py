"""Address checks over HTTP: the carriers' verdicts on orders' shipping addresses, and a check
asked for now (after an address was corrected, say)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from orderly.kit.deps import Db
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.shipping import address_checks
from orderly.shipping.errors import AddressNotCheckable
from orderly.shipping.schemas import AddressCheckOut, AddressVerdict
from orderly.tenancy.deps import OrderWriterOutsideTransaction, ReaderOutsideTransaction

router = APIRouter(tags=["shipping"])

OrderId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/address-checks", response_model=Page[AddressCheckOut], summary="List address checks")
async def list_address_checks(
    database: Db,
    principal: ReaderOutsideTransaction,
    verdict: AddressVerdict | None = None,
    order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AddressCheckOut]:
    """Newest first; `verdict=undeliverable` lists the orders held for their address."""
    return await address_checks.list_address_checks(
        database, principal.org_id, verdict=verdict, order_id=order_id, limit=limit, cursor=cursor
    )


@router.post(
    "/orders/{order_id}/address-check",
    response_model=AddressCheckOut,
    summary="Check an order's shipping address with the carriers now",
    responses=responses(403, 409),
)
async def check_order_address(
    order_id: OrderId, database: Db, principal: OrderWriterOutsideTransaction
) -> AddressCheckOut:
    """Asks the carriers that validate addresses, outside any transaction, unless the order's
    current address has a verdict already; answers the verdict. 409 `address_not_checkable`
    when no carrier validates addresses or the order is not waiting to ship."""
    await address_checks.check_org(database, principal.org_id, order_id=order_id)
    page = await address_checks.list_address_checks(
        database, principal.org_id, verdict=None, order_id=order_id, limit=1, cursor=None
    )
    if not page.items:
        raise AddressNotCheckable(
            "no carrier of the organization validates addresses, or the order is not waiting "
            "to ship (only orders to ship, placed in the last week, with nothing shipped yet)"
        )
    return page.items[0]
