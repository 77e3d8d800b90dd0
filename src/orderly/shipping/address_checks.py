"""Address checks: after capture, a carrier that validates addresses is asked about each order
to ship, outside any transaction; an address it cannot deliver to holds the order for a person.

Capture cannot wait on a carrier (it commits in one short transaction), so the check runs just
after it, from a job; an order whose address changes is checked again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.kit.vault import Vault
from orderly.orders import service as orders
from orderly.orders.domain import HoldReason
from orderly.shipping import address_check_repository as repo
from orderly.shipping.accounts import org_carriers
from orderly.shipping.carriers.base import Carrier
from orderly.shipping.domain import AddressCheck
from orderly.shipping.errors import CarrierRefused, FeatureNotOffered
from orderly.shipping.schemas import AddressCheckOut

logger = logging.getLogger(__name__)

ACTOR = "address-check"
RECENT_DAYS = 7  # orders placed longer ago than this are not checked any more
BATCH = 50  # orders checked per organization and run


@dataclass
class Verdict:
    """What the carriers said of one address."""

    verdict: str  # deliverable, undeliverable or not_checked
    carrier: str | None = None
    residential: bool | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


async def check_org(
    database: Database, org_id: int, *, vault: Vault | None = None, order_id: int | None = None
) -> list[tuple[int, str]]:
    """Check the addresses due in one organization; (order id, verdict) for each recorded.
    A carrier that is down stops the run: the next one tries again."""
    async with database.reading() as conn:
        carriers = [
            c
            for _, c in (await org_carriers(conn, org_id, vault=vault)).values()
            if c.features.address_validation
        ]
        if not carriers:
            return []
        due = await repo.orders_due(conn, org_id, days=RECENT_DAYS, limit=BATCH, order_id=order_id)
    recorded: list[tuple[int, str]] = []
    for order in due:
        try:
            verdict = await ask(carriers, order["shipping_address"])
        except OrderlyError as error:
            logger.warning("address checks of organization %s paused: %s", org_id, error.detail)
            break
        if await _record(database, org_id, order, verdict):
            recorded.append((order["id"], verdict.verdict))
    return recorded


async def ask(carriers: list[Carrier], address: dict[str, Any]) -> Verdict:
    """The first carrier that can judge the address; not_checked when none covers it. Raises
    the carrier's error when it is down or refuses our credentials."""
    messages: list[str] = []
    for carrier in carriers:
        try:
            check = await carrier.validate_address(address)
        except (FeatureNotOffered, CarrierRefused) as declined:
            messages.append(f"{carrier.code}: {declined.detail}")
            continue
        return _verdict(carrier.code, check)
    return Verdict("not_checked", messages=messages)


def _verdict(carrier: str, check: AddressCheck) -> Verdict:
    return Verdict(
        "deliverable" if check.deliverable else "undeliverable",
        carrier=carrier,
        residential=check.residential,
        suggestions=[dict(s) for s in check.suggestions],
        messages=list(check.messages),
    )


async def _record(database: Database, org_id: int, order: dict[str, Any], verdict: Verdict) -> bool:
    """One short transaction: the verdict, and a hold when the carrier cannot deliver."""
    async with database.transaction() as tx:
        conn = tx.connection
        recorded = await repo.record_verdict(
            conn,
            org_id,
            order["id"],
            {
                "carrier": verdict.carrier,
                "verdict": verdict.verdict,
                "residential": verdict.residential,
                "address": order["shipping_address"],
                "suggestions": verdict.suggestions,
                "messages": verdict.messages,
            },
        )
        if recorded and verdict.verdict == "undeliverable":
            await orders.hold_for_check(
                conn,
                org_id,
                order["id"],
                HoldReason.SHIPPING,
                {
                    "check": "address",
                    "carrier": verdict.carrier,
                    "detail": "; ".join(verdict.messages)
                    or f"{verdict.carrier} cannot deliver to this address as written",
                    "suggestions": verdict.suggestions,
                },
                ACTOR,
            )
    return recorded


async def list_address_checks(
    database: Database,
    org_id: int,
    *,
    verdict: str | None,
    order_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[AddressCheckOut]:
    """Newest first."""
    async with database.reading() as conn:
        rows = await repo.list_checks(
            conn,
            org_id,
            verdicts=[verdict] if verdict else None,
            order_id=order_id,
            after_id=id_cursor(cursor),
            limit=limit + 1,
        )
    items = [AddressCheckOut.model_validate(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)
