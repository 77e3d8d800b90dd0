"""The customer's self-service return: find the order by its number and the e-mail or postal
code on it, see what can come back, and open the return. No login; failed look-ups are
counted per order number and refused past a limit, to stop guessing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import NotFound
from orderly.locations import service as locations
from orderly.locations.domain import Capability
from orderly.orders import queries as order_queries
from orderly.returns import repository as repo
from orderly.returns import service
from orderly.returns.domain import ReturnSource
from orderly.returns.errors import LookupRefused
from orderly.returns.label_links import LabelLink
from orderly.returns.schemas import ReturnIn, ReturnOut
from orderly.returns.service import ReturnableOrder
from orderly.shipping import service as shipping
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Principal, Role

MAX_FAILED_LOOKUPS = 5


@dataclass(frozen=True, slots=True)
class FoundOrder:
    org_id: int
    email: str
    returnable: ReturnableOrder
    stores: list[tuple[str, str]]  # (code, name) of locations that take returns
    window_open: bool


def _normalise_postal(value: str) -> str:
    return "".join(value.split()).upper()


def _matches(order: dict[str, object], contact: str) -> bool:
    contact = contact.strip()
    if not contact:
        return False
    email = str(order.get("customer_email") or "")
    if "@" in contact:
        return bool(email) and email.lower() == contact.lower()
    for key in ("shipping_address", "billing_address"):
        address = order.get(key)
        if (
            isinstance(address, dict)
            and address.get("postal_code")
            and _normalise_postal(str(address["postal_code"])) == _normalise_postal(contact)
        ):
            return True
    return False


async def _shop(conn: AsyncConnection, shop: str, number: str) -> int:
    """The organization behind the page, once the number is not locked out by guessing."""
    try:
        org_id = await tenancy.organization_id(conn, shop.strip())
    except NotFound:
        raise LookupRefused("We could not find this shop.", status=404) from None
    if await repo.lookup_failures(conn, org_id, number) >= MAX_FAILED_LOOKUPS:
        raise LookupRefused(
            "Too many attempts for this number. Please try again later.", status=429
        )
    return org_id


async def find_order(conn: AsyncConnection, shop: str, number: str, contact: str) -> FoundOrder:
    number = number.strip().upper()
    org_id = await _shop(conn, shop, number)
    order_id = await order_queries.order_id_by_number(conn, org_id, number)
    order = await order_queries.order_row(conn, org_id, order_id) if order_id else None
    if order is None or not _matches(order, contact):
        await repo.record_lookup_failure(conn, org_id, number)
        raise LookupRefused(
            "We could not find an order with this number and e-mail or postal code.",
            status=404,
        )
    returnable = await service.returnable_order(conn, org_id, order["id"])
    page = await locations.list_locations(
        conn, org_id, active=True, capability=Capability.RETURNS, limit=200
    )
    closes = returnable.window_closes
    return FoundOrder(
        org_id=org_id,
        email=str(order.get("customer_email") or ""),
        returnable=returnable,
        stores=[(x.code, x.name) for x in page.items if x.kind.value == "store"],
        window_open=closes is not None and datetime.now(UTC) <= closes,
    )


async def open_customer_return(
    conn: AsyncConnection, found: FoundOrder, data: ReturnIn
) -> ReturnOut:
    """Open the return in a savepoint, so that a refusal leaves nothing behind while the
    page still answers (and the failed look-up counts stay)."""
    principal = Principal(
        org_id=found.org_id, role=Role.SUPPORT, actor=f"customer:{found.email or 'unknown'}"
    )
    async with conn.begin_nested():
        return await service.open_return(conn, principal, data, source=ReturnSource.CUSTOMER)


async def return_label(conn: AsyncConnection, shop: str, number: str, contact: str) -> bytes:
    """The PDF return label of a ship-back return, for whoever knows the order's contact."""
    number = number.strip().upper()
    org_id = await _shop(conn, shop, number)
    found = await repo.return_by_number(conn, org_id, number)
    order = await order_queries.order_row(conn, org_id, found["order_id"]) if found else None
    if found is None or order is None or not _matches(order, contact):
        await repo.record_lookup_failure(conn, org_id, number)
        raise LookupRefused("We could not find this return.", status=404)
    if found["shipment_id"] is None:
        raise LookupRefused("This return has no label: bring it to the store.", status=404)
    return await shipping.label_pdf(conn, org_id, found["shipment_id"])


async def label_by_link(conn: AsyncConnection, link: LabelLink) -> bytes:
    """The PDF return label a signed e-mail link points at (returns.label_links)."""
    found = await repo.get_return(conn, link.org_id, link.return_id)
    if found is None or found["shipment_id"] is None:
        raise LookupRefused("This return has no label.", status=404)
    return await shipping.label_pdf(conn, link.org_id, found["shipment_id"])
