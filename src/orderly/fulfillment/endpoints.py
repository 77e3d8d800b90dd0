"""The fulfillment API: fulfillment orders, pick lists, and each location's bins and boxes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from orderly.fulfillment import dispatch, packing, picking, pickup, service
from orderly.fulfillment.domain import FulfillmentStatus
from orderly.fulfillment.schemas import (
    BinOut,
    BinsIn,
    BoxesIn,
    BoxOut,
    CancelIn,
    FulfillmentOrderOut,
    PackIn,
    PickConfirmIn,
    PickListIn,
    PickListOut,
    PickupIn,
    ReadyForPickupOut,
    RejectIn,
    ShipIn,
)
from orderly.kit.deps import Conn, Db, InstallationSecret, Tx
from orderly.kit.idempotency import IdempotencyKey, KeyAcrossTransactions, run_idempotent
from orderly.kit.pagination import Cursor, Limit, Page
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.tenancy.deps import InventoryWriter, InventoryWriterOutsideTransaction, Reader

router = APIRouter(tags=["fulfillment"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "A PDF document"},
    **responses(404),
}
FO = "/fulfillment-orders/{fo_id}"


@router.get("/fulfillment-orders", response_model=Page[FulfillmentOrderOut])
async def list_fulfillment_orders(
    conn: Conn,
    principal: Reader,
    location: Annotated[str | None, Query(max_length=64, description="Location code")] = None,
    status: FulfillmentStatus | None = None,
    order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[FulfillmentOrderOut]:
    """Newest first. Filters combine with AND."""
    location_id = None
    if location is not None:
        location_id = await picking.location_id(conn, principal.org_id, location, "location")
    return await service.list_fulfillment_orders(
        conn,
        principal.org_id,
        location_id=location_id,
        status=status,
        order_id=order_id,
        limit=limit,
        cursor=cursor,
    )


@router.get(FO + "/packing-slip.pdf", response_class=Response, responses=PDF)
async def packing_slip(fo_id: ResourceId, conn: Conn, principal: Reader) -> Response:
    pdf = await packing.packing_slip(conn, principal.org_id, fo_id)
    return Response(pdf, media_type="application/pdf")


@router.get(FO, response_model=FulfillmentOrderOut, responses=responses(404))
async def get_fulfillment_order(
    fo_id: ResourceId, conn: Conn, principal: Reader
) -> FulfillmentOrderOut:
    return await service.get_fulfillment_order(conn, principal.org_id, fo_id)


@router.post(FO + "/accept", response_model=FulfillmentOrderOut, responses=WRITE_ERRORS)
async def accept(fo_id: ResourceId, conn: Conn, principal: InventoryWriter) -> FulfillmentOrderOut:
    """The location takes the order on (pending -> accepted)."""
    return await service.accept(conn, principal, fo_id)


@router.post(FO + "/reject", response_model=FulfillmentOrderOut, responses=WRITE_ERRORS)
async def reject(
    fo_id: ResourceId, body: RejectIn, conn: Conn, principal: InventoryWriter
) -> FulfillmentOrderOut:
    """The location cannot send these units (all open ones by default). They are released;
    for `not_found` and `damaged` the location's on-hand count is lowered; and the order is
    re-routed to the next best location, or backordered."""
    return await service.reject(
        conn, principal, fo_id, reason=body.reason, lines=body.lines, note=body.note
    )


@router.post(FO + "/cancel", response_model=FulfillmentOrderOut, responses=WRITE_ERRORS)
async def cancel(
    fo_id: ResourceId, body: CancelIn, conn: Conn, principal: InventoryWriter
) -> FulfillmentOrderOut:
    """Take the order away from this location: its units are released and re-routed."""
    return await service.cancel(conn, principal, fo_id, reason=body.reason)


@router.post(
    FO + "/pack", status_code=200, response_model=FulfillmentOrderOut, responses=WRITE_ERRORS
)
async def pack(
    fo_id: ResourceId,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: InventoryWriter,
    idempotency_key: IdempotencyKey = None,
    body: PackIn | None = None,
) -> Response:
    """Pack the picked units into parcels: the boxes given, or the smallest boxes of the
    location's catalogue that hold them."""

    async def create() -> tuple[int, bytes]:
        choice = body.parcels if body else None
        out = await packing.pack(conn, principal, fo_id, choice)
        return 200, out.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.post(
    FO + "/ship", status_code=200, response_model=FulfillmentOrderOut, responses=WRITE_ERRORS
)
async def ship(
    fo_id: ResourceId,
    request: Request,
    database: Db,
    principal: InventoryWriterOutsideTransaction,
    idempotency_key: IdempotencyKey = None,
    body: ShipIn | None = None,
) -> Response:
    """Buy labels for the packed parcels (all, or those named) and ship them. The channel's
    `rate_shopping` setting (cheapest or fastest) picks the service, against the order's
    requested delivery date. The carrier is called with no transaction open: 409
    `labels_being_bought` while another request buys labels for the same parcels."""
    out = await dispatch.ship(
        database,
        principal,
        fo_id,
        parcel_ids=body.parcels if body else None,
        service_code=body.service if body else None,
        idempotency=await KeyAcrossTransactions.of(
            request, org_id=principal.org_id, key=idempotency_key
        ),
    )
    return Response(out.model_dump_json().encode(), media_type="application/json")


@router.post(FO + "/ready-for-pickup", response_model=ReadyForPickupOut, responses=WRITE_ERRORS)
async def ready_for_pickup(
    fo_id: ResourceId, conn: Conn, principal: InventoryWriter, secret: InstallationSecret
) -> FulfillmentOrderOut:
    """The picked units wait at the store: returns the customer's `pickup_code`."""
    return await pickup.ready_for_pickup(conn, principal, fo_id, secret=secret)


@router.post(FO + "/pickup", response_model=FulfillmentOrderOut, responses=WRITE_ERRORS)
async def collect(
    fo_id: ResourceId,
    body: PickupIn,
    conn: Conn,
    principal: InventoryWriter,
    secret: InstallationSecret,
) -> FulfillmentOrderOut:
    """The customer collects with the pickup code (422 `invalid_pickup_code` when wrong)."""
    return await pickup.collect(conn, principal, fo_id, body.code, secret=secret)


# Pick lists ---------------------------------------------------------------------------------


@router.post(
    "/pick-lists",
    status_code=201,
    response_model=PickListOut,
    responses=responses(401, 403, 404, 422, described={409: "nothing_to_pick"}),
)
async def create_pick_list(
    payload: PickListIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: InventoryWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A wave: up to `max_orders` accepted fulfillment orders of the location, which move to
    picking; items are summed per SKU and sorted by bin."""

    async def create() -> tuple[int, bytes]:
        out = await picking.create_pick_list(conn, principal, payload)
        return 201, out.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get("/pick-lists/{pick_list_id}.pdf", response_class=Response, responses=PDF)
async def pick_list_pdf(pick_list_id: ResourceId, conn: Conn, principal: Reader) -> Response:
    pdf = await picking.pick_list_pdf(conn, principal.org_id, pick_list_id)
    return Response(pdf, media_type="application/pdf")


@router.get("/pick-lists/{pick_list_id}", response_model=PickListOut, responses=responses(404))
async def get_pick_list(pick_list_id: ResourceId, conn: Conn, principal: Reader) -> PickListOut:
    return await picking.get_pick_list(conn, principal.org_id, pick_list_id)


@router.post(
    "/pick-lists/{pick_list_id}/confirm", response_model=PickListOut, responses=WRITE_ERRORS
)
async def confirm_pick_list(
    pick_list_id: ResourceId,
    conn: Conn,
    principal: InventoryWriter,
    body: PickConfirmIn | None = None,
) -> PickListOut:
    """Record the picks; lines not listed were picked in full. Short picks are rejected as
    `not_found` and re-routed."""
    picks = body.picks if body else []
    return await picking.confirm_pick_list(conn, principal, pick_list_id, picks)


# A location's bins and boxes ----------------------------------------------------------------

LOCATION = "/fulfillment/locations/{code}"
LocationCode = Annotated[str, Path(max_length=100, description="The location's code")]


@router.put(LOCATION + "/bins", response_model=list[BinOut], responses=WRITE_ERRORS)
async def set_bins(
    code: LocationCode, body: BinsIn, conn: Conn, principal: InventoryWriter
) -> list[BinOut]:
    """Set the bin (e.g. "A-01-03") of these SKUs at the location; pick lists walk by bin."""
    return await packing.set_bins(conn, principal, code, body.bins)


@router.get(LOCATION + "/bins", response_model=list[BinOut], responses=responses(404))
async def get_bins(code: LocationCode, conn: Conn, principal: Reader) -> list[BinOut]:
    return await packing.location_bins(conn, principal.org_id, code)


@router.put(LOCATION + "/boxes", response_model=list[BoxOut], responses=WRITE_ERRORS)
async def set_boxes(
    code: LocationCode, body: BoxesIn, conn: Conn, principal: InventoryWriter
) -> list[BoxOut]:
    """Replace the location's box catalogue (inside dimensions, weight limit, tare)."""
    return await packing.set_boxes(conn, principal, code, body.boxes)


@router.get(LOCATION + "/boxes", response_model=list[BoxOut], responses=responses(404))
async def get_boxes(code: LocationCode, conn: Conn, principal: Reader) -> list[BoxOut]:
    return await packing.box_catalogue(conn, principal.org_id, code)
