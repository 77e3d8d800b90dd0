"""The customer's self-service return: find the order by its number and the e-mail or postal
code on it, see what can come back, and open the return. No login; failed look-ups are
counted per client address (per order number and over all numbers) and refused past a limit,
to stop guessing without letting a stranger lock the customer out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.errors import NotFound
from orderly.locations import service as locations
from orderly.locations.domain import Capability
from orderly.orders import queries as order_queries
from orderly.returns import labels, service
from orderly.returns import repository as repo
from orderly.returns.domain import ReturnSource
from orderly.returns.errors import LookupRefused
from orderly.returns.label_links import LabelLink
from orderly.returns.schemas import ReturnIn, ReturnOut
from orderly.returns.service import ReturnableOrder
from orderly.shipping import service as shipping
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Principal, Role

# Failed look-ups a client may make in the window: on one order number, and over all numbers.
MAX_FAILED_LOOKUPS = 5
MAX_FAILED_LOOKUPS_PER_CLIENT = 20


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the page was given: the shop, a number (order or return), the contact, and the
    address of the client asking (`kit.client_address`)."""

    shop: str
    number: str
    contact: str
    client: str

    @property
    def normalised_number(self) -> str:
        return self.number.strip().upper()


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


async def _shop(conn: AsyncConnection, lookup: Lookup) -> int:
    """The organization behind the page, once the client is not refused for guessing."""
    try:
        org_id = await tenancy.organization_id(conn, lookup.shop.strip())
    except NotFound:
        raise LookupRefused("We could not find this shop.", status=404) from None
    on_number, overall = await repo.lookup_failures(
        conn, org_id, client=lookup.client, number=lookup.normalised_number
    )
    if on_number >= MAX_FAILED_LOOKUPS or overall >= MAX_FAILED_LOOKUPS_PER_CLIENT:
        raise LookupRefused("Too many attempts. Please try again later.", status=429)
    return org_id


async def _failed(conn: AsyncConnection, org_id: int, lookup: Lookup) -> None:
    await repo.record_lookup_failure(
        conn, org_id, client=lookup.client, number=lookup.normalised_number
    )


async def find_order(conn: AsyncConnection, lookup: Lookup) -> FoundOrder:
    org_id = await _shop(conn, lookup)
    order_id = await order_queries.order_id_by_number(conn, org_id, lookup.normalised_number)
    order = await order_queries.order_row(conn, org_id, order_id) if order_id else None
    if order is None or not _matches(order, lookup.contact):
        await _failed(conn, org_id, lookup)
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


async def open_customer_return(database: Database, found: FoundOrder, data: ReturnIn) -> ReturnOut:
    """Open the return as the customer, authorized with its label (returns.labels): a refusal
    leaves nothing behind."""
    principal = Principal(
        org_id=found.org_id, role=Role.SUPPORT, actor=f"customer:{found.email or 'unknown'}"
    )
    return await labels.open_return(database, principal, data, source=ReturnSource.CUSTOMER)


async def return_label(conn: AsyncConnection, lookup: Lookup) -> bytes:
    """The PDF return label of a ship-back return, for whoever knows the order's e-mail
    address: the label carries the customer's name and address, so a postal code (which the
    label itself shows) is not enough."""
    if "@" not in lookup.contact:
        raise LookupRefused(
            "Enter the e-mail address on the order to print its return label.", status=422
        )
    org_id = await _shop(conn, lookup)
    found = await repo.return_by_number(conn, org_id, lookup.normalised_number)
    order = await order_queries.order_row(conn, org_id, found["order_id"]) if found else None
    if found is None or order is None or not _matches(order, lookup.contact):
        await _failed(conn, org_id, lookup)
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
