"""What a dashboard user limited to some locations sees and acts on: the one rule, by kind.

Anything outside those locations is absent (404), as another organization's object is
(docs/dashboard.md).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.automation import purchasing
from orderly.automation.errors import PurchaseOrderNotFound
from orderly.automation.schemas import PurchaseOrderOut
from orderly.fulfillment import picking
from orderly.fulfillment import service as fulfillment
from orderly.fulfillment.errors import FulfillmentOrderNotFound, PickListNotFound
from orderly.fulfillment.schemas import FulfillmentOrderOut, PickListOut
from orderly.kit.errors import Forbidden, NotFound
from orderly.orders import service as orders
from orderly.orders.errors import OrderNotFound
from orderly.orders.schemas import OrderOut
from orderly.returns import service as returns
from orderly.returns.errors import ReturnNotFound
from orderly.returns.schemas import ReturnOut
from orderly.shipping import service as shipping
from orderly.tenancy.users import User
from orderly.web.lookups import org_locations


def location_ids(user: User) -> tuple[int, ...] | None:
    """The ids of the user's locations, or None for a user of every location."""
    return user.location_ids or None


async def location_codes(conn: AsyncConnection, user: User) -> frozenset[str] | None:
    """The codes of the user's locations (active or not), or None for every location."""
    if not user.limited:
        return None
    return frozenset(
        loc.code for loc in await org_locations(conn, user) if user.may_work_at(loc.id)
    )


def within(codes: frozenset[str] | None, *found: str | None) -> bool:
    """True when one of the locations `found` is the user's (`codes` from `location_codes`)."""
    return codes is None or any(code in codes for code in found if code is not None)


async def ensure_location_code(conn: AsyncConnection, user: User, code: str) -> None:
    """A location named in a form or a link must be one of the user's."""
    if not within(await location_codes(conn, user), code):
        raise NotFound(f"there is no location {code} for you here")


def ensure_organization_wide(user: User) -> None:
    """What every location shares (users, API keys, webhooks, routing rules, message
    templates) is changed only by users of every location."""
    if user.limited:
        raise Forbidden("only a user of every location may change what all locations share")


async def visible_order(conn: AsyncConnection, user: User, order_id: int) -> OrderOut:
    order = await orders.get_order(conn, user.org_id, order_id)
    allocated = [a.location for line in order.lines for a in line.allocations]
    if not within(await location_codes(conn, user), *allocated):
        raise OrderNotFound(f"no order {order_id}")
    return order


async def visible_fulfillment_order(
    conn: AsyncConnection, user: User, fo_id: int
) -> FulfillmentOrderOut:
    fo = await fulfillment.get_fulfillment_order(conn, user.org_id, fo_id)
    if not within(await location_codes(conn, user), fo.location):
        raise FulfillmentOrderNotFound(f"no fulfillment order {fo_id}")
    return fo


async def visible_pick_list(conn: AsyncConnection, user: User, pick_list_id: int) -> PickListOut:
    found = await picking.get_pick_list(conn, user.org_id, pick_list_id)
    if not within(await location_codes(conn, user), found.location):
        raise PickListNotFound(f"no pick list {pick_list_id}")
    return found


async def visible_shipment(conn: AsyncConnection, user: User, shipment_id: int) -> None:
    """A parcel is its fulfillment order's; a return label (no fulfillment order) is for
    users of every location."""
    found = await shipping.shipment(conn, user.org_id, shipment_id)
    if user.limited:
        if found.fulfillment_order_id is None:
            raise NotFound(f"no shipment {shipment_id}")
        await visible_fulfillment_order(conn, user, found.fulfillment_order_id)


async def visible_return(conn: AsyncConnection, user: User, return_id: int) -> ReturnOut:
    found = await returns.get_return(conn, user.org_id, return_id)
    if not within(await location_codes(conn, user), found.location):
        raise ReturnNotFound(f"no return {return_id}")
    return found


async def visible_purchase_order(conn: AsyncConnection, user: User, po_id: int) -> PurchaseOrderOut:
    found = await purchasing.get_purchase_order(conn, user.org_id, po_id)
    if not within(await location_codes(conn, user), found.destination):
        raise PurchaseOrderNotFound(f"no purchase order {po_id}")
    return found
