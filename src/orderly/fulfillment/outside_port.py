"""The port through which fulfillment and the order flows learn which locations a provider (a 3PL,
a supplier) operates and ask it to give back what it holds. `outside` fills it when the app and
the worker start; with nothing installed, every location is operated by us."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment.errors import FulfillmentAtProvider, LocationOperatedByOthers
from orderly.tenancy.domain import Principal


class OutsideOperators(Protocol):
    async def operated_by_others(
        self, conn: AsyncConnection, org_id: int, location_id: int
    ) -> bool:
        """Whether a provider runs the location: its orders are not picked or packed here."""

    async def out_at_provider(self, conn: AsyncConnection, org_id: int, fo_id: int) -> bool:
        """Whether the fulfillment order was sent to a provider and is still in its hands."""

    async def ask_to_withdraw(
        self, conn: AsyncConnection, principal: Principal, order_id: int, *, reason: str
    ) -> bool:
        """Ask the providers that hold units of the order to cancel them (in a job, after the
        caller's commit). True when some are out: the order is cancelled once they agree."""

    async def withdrawal_pending(self, conn: AsyncConnection, org_id: int, order_id: int) -> bool:
        """Whether a provider has been asked to cancel and has not answered yet."""


_installed: OutsideOperators | None = None


def install_outside(operators: OutsideOperators | None) -> None:
    """The outside feature's operators, installed where the app and the worker start."""
    global _installed
    _installed = operators


def outside_operators() -> OutsideOperators | None:
    return _installed


async def refuse_if_operated_by_others(
    conn: AsyncConnection, org_id: int, location_id: int, *, action: str
) -> None:
    if _installed is not None and await _installed.operated_by_others(conn, org_id, location_id):
        raise LocationOperatedByOthers(
            f"a provider operates this location: it {action}, not our associates"
        )


async def refuse_if_out_at_provider(conn: AsyncConnection, org_id: int, fo_id: int) -> None:
    if _installed is not None and await _installed.out_at_provider(conn, org_id, fo_id):
        raise FulfillmentAtProvider(
            "the fulfillment order is in a provider's hands: cancel the order (the provider is"
            " asked first), or wait for the provider's answer"
        )


async def ask_to_withdraw(
    conn: AsyncConnection, principal: Principal, order_id: int, *, reason: str
) -> bool:
    if _installed is None:
        return False
    return await _installed.ask_to_withdraw(conn, principal, order_id, reason=reason)


async def withdrawal_pending(conn: AsyncConnection, org_id: int, order_id: int) -> bool:
    if _installed is None:
        return False
    return await _installed.withdrawal_pending(conn, org_id, order_id)
