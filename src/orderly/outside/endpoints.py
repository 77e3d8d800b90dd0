"""The API of locations operated by others: `/v1/locations/{code}/provider` (connect, show,
disconnect, poll and stock now, stock differences to decide) and drop-ship confirmations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, InstallationSecret
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.outside import confirmation, service
from orderly.outside.access import Installation
from orderly.outside.domain import DifferenceStatus
from orderly.outside.schemas import (
    ConfirmationIn,
    ConfirmationOut,
    DifferenceOut,
    DifferencesOut,
    ProviderIn,
    ProviderOut,
)
from orderly.tenancy.deps import InventoryWriter, Reader, SettingsWriter

router = APIRouter(tags=["locations operated by others"])

LocationCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]
PROVIDER = "/locations/{code}/provider"


def _installation(request: Request) -> Installation:
    return Installation.of(request.app.state.settings)


InstallationDep = Annotated[Installation, Depends(_installation)]


@router.put(
    PROVIDER,
    response_model=ProviderOut,
    summary="Connect the location's provider (a 3PL's or a supplier's), or change it",
    responses=responses(
        403,
        404,
        described={422: "`provider_not_for_location` (naming `kind`), unknown kind, bad settings"},
    ),
)
async def connect_provider(
    code: LocationCode,
    data: ProviderIn,
    conn: Conn,
    principal: SettingsWriter,
    installation: InstallationDep,
) -> ProviderOut:
    """Only a `3pl` or `supplier` location takes a provider: `shipbob` or `sftp` at a 3PL,
    `email` or `sftp` at a supplier. Credentials are stored encrypted and never shown. The
    provider is checked in a job; its health shows on `GET`."""
    return await service.connect(conn, principal.org_id, code, data, installation=installation)


@router.get(
    PROVIDER,
    response_model=ProviderOut,
    summary="The location's provider: kind, settings, health, last exchange, recent errors",
    responses=responses(404),
)
async def get_provider(
    code: LocationCode, conn: Conn, principal: Reader, installation: InstallationDep
) -> ProviderOut:
    return await service.get(conn, principal.org_id, code, installation=installation)


@router.delete(
    PROVIDER,
    status_code=204,
    summary="Disconnect the provider (orders it holds are then handled by hand)",
    responses=responses(403, 404),
)
async def disconnect_provider(
    code: LocationCode, conn: Conn, principal: SettingsWriter
) -> Response:
    await service.disconnect(conn, principal.org_id, code)
    return Response(status_code=204)


@router.post(
    PROVIDER + "/poll",
    status_code=202,
    summary="Ask the provider for news of our orders now",
    responses=responses(403, 404),
)
async def poll_now(code: LocationCode, conn: Conn, principal: SettingsWriter) -> Response:
    await service.request(conn, principal.org_id, code, service.POLL_TASK)
    return Response(status_code=202)


@router.post(
    PROVIDER + "/stock",
    status_code=202,
    summary="Read the provider's stock now and compare it with ours",
    responses=responses(403, 404),
)
async def stock_now(code: LocationCode, conn: Conn, principal: InventoryWriter) -> Response:
    await service.request(conn, principal.org_id, code, service.STOCK_TASK)
    return Response(status_code=202)


@router.get(
    PROVIDER + "/differences",
    response_model=DifferencesOut,
    summary="Stock counts of the provider that are not ours, newest first",
    responses=responses(404),
)
async def list_differences(
    code: LocationCode, conn: Conn, principal: Reader, status: DifferenceStatus | None = None
) -> DifferencesOut:
    items = await service.differences(conn, principal.org_id, code, status=status)
    return DifferencesOut(items=items)


DECIDED = "`stock_difference_decided` (decided before), `insufficient_stock` (below reserved)"


@router.post(
    PROVIDER + "/differences/{difference_id}/accept",
    response_model=DifferenceOut,
    summary="Accept the provider's count: a ledger row with reason 3pl_count",
    responses=responses(403, 404, described={409: DECIDED}),
)
async def accept_difference(
    code: LocationCode, difference_id: ResourceId, conn: Conn, principal: InventoryWriter
) -> DifferenceOut:
    """The difference is applied as an inventory adjustment (`on_hand` changes by `counted -
    expected`); one that would take on_hand below the units reserved for orders is refused
    with 409 and stays pending."""
    return await service.decide(conn, principal, code, difference_id, DifferenceStatus.ACCEPTED)


@router.post(
    PROVIDER + "/differences/{difference_id}/dismiss",
    response_model=DifferenceOut,
    summary="Dismiss the provider's count: our stock stays as it is",
    responses=responses(403, 404, described={409: DECIDED}),
)
async def dismiss_difference(
    code: LocationCode, difference_id: ResourceId, conn: Conn, principal: InventoryWriter
) -> DifferenceOut:
    return await service.decide(conn, principal, code, difference_id, DifferenceStatus.DISMISSED)


PoNumber = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


@router.post(
    "/drop-ship/{po_number}/confirm",
    response_model=ConfirmationOut,
    summary="Confirm a drop-ship purchase order for its supplier: shipped (tracking) or not sent",
    responses=responses(403, 404, 422, described={409: "The order is no longer with the supplier"}),
)
async def confirm_drop_ship(
    po_number: PoNumber,
    data: ConfirmationIn,
    conn: Conn,
    principal: InventoryWriter,
    secret: InstallationSecret,
) -> ConfirmationOut:
    """What the supplier's link does, for an operator who heard from the supplier otherwise.
    `shipped` ships the fulfillment order with the tracking number (all its open lines, or
    `lines`); `not_sent` means it will not be sent: the units are sourced again, or the order
    cancelled when its cancellation was asked. The same confirmation twice is applied once."""
    return await confirmation.confirm(conn, po_number, data, org_id=principal.org_id, secret=secret)
