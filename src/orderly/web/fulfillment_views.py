"""Fulfillment at one location: queues to accept, pick, pack and ship; pick lists, packing
into boxes, labels (PDF or ZPL) and rejections. Every step goes through the fulfillment
feature's services, exactly as the API does."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.fulfillment import dispatch, packing, picking
from orderly.fulfillment import service as fulfillment
from orderly.fulfillment.domain import FulfillmentStatus, RejectReason
from orderly.fulfillment.schemas import (
    FulfillmentOrderOut,
    LineQuantity,
    ParcelChoice,
    PickConfirmLine,
    PickListIn,
)
from orderly.shipping import service as shipping
from orderly.web.deps import (
    Conn,
    Form,
    SignedIn,
    StockActor,
    StockActorOutsideTransaction,
    attempt,
    attempt_alone,
    back_to,
    database,
    flash,
    safe_next,
)
from orderly.web.lookups import my_location, my_locations
from orderly.web.rendering import render
from orderly.web.scope import visible_fulfillment_order, visible_pick_list, visible_shipment

router = APIRouter()

F = FulfillmentStatus
QUEUE_SIZE = 50
# (status, heading) of each queue, in the order work moves through them.
QUEUES = [
    (F.PENDING, "To accept"),
    (F.ACCEPTED, "To pick"),
    (F.PICKING, "To pack"),
    (F.PACKED, "To ship"),
    (F.SHIPPED, "Shipped"),
]


@router.get("/fulfillment")
async def choose_location(request: Request, conn: Conn, user: SignedIn) -> Response:
    locations = await my_locations(conn, user)
    if len(locations) == 1:
        return back_to(f"/app/fulfillment/{locations[0].code}")
    return render(
        request,
        "choose_location.html",
        user,
        title="Fulfillment",
        heading="Fulfillment: choose a location",
        base="/app/fulfillment",
        locations=locations,
    )


@router.get("/fulfillment/{code}")
async def location_queues(request: Request, code: str, conn: Conn, user: SignedIn) -> Response:
    location = await my_location(conn, user, code)
    queues = []
    for status, heading in QUEUES:
        page = await fulfillment.list_fulfillment_orders(
            conn,
            user.org_id,
            location_id=location.id,
            status=status,
            order_id=None,
            limit=QUEUE_SIZE,
            cursor=None,
        )
        queues.append((status.value, heading, page.items))
    boxes = await packing.box_catalogue(conn, user.org_id, code)
    return render(
        request,
        "fulfillment.html",
        user,
        title=f"Fulfillment at {code}",
        location=location,
        queues=queues,
        boxes=boxes,
        reject_reasons=[r.value for r in RejectReason],
        locations=await my_locations(conn, user),
    )


def _back(fo: FulfillmentOrderOut, form: Form | None = None) -> Response:
    """To the page the action came from: the store counter sends `back`, else the queues."""
    if form is not None and form.get("back"):
        return back_to(safe_next(form.get("back")))
    return back_to(f"/app/fulfillment/{fo.location}#fo-{fo.id}")


@router.post("/fulfillment/orders/{fo_id}/accept")
async def accept(
    request: Request, fo_id: int, conn: Conn, user: StockActor, form: Form
) -> Response:
    fo = await visible_fulfillment_order(conn, user, fo_id)
    await attempt(
        request,
        conn,
        lambda: fulfillment.accept(conn, user.principal, fo_id),
        done=f"Accepted {fo.order_number}.",
    )
    return _back(fo, form)


@router.post("/fulfillment/orders/{fo_id}/reject")
async def reject(
    request: Request, fo_id: int, conn: Conn, user: StockActor, form: Form
) -> Response:
    fo = await visible_fulfillment_order(conn, user, fo_id)
    reason = str(form.get("reason", ""))
    if reason not in RejectReason.__members__.values():
        flash(request, "choose why the order is rejected", kind="error", field="reason")
        return _back(fo)
    note = str(form.get("note", "")).strip()[:500] or None
    await attempt(
        request,
        conn,
        lambda: fulfillment.reject(
            conn, user.principal, fo_id, reason=RejectReason(reason), lines=None, note=note
        ),
        done=f"Rejected {fo.order_number}; its units are routed elsewhere.",
    )
    return _back(fo)


@router.post("/fulfillment/orders/{fo_id}/pick")
async def pick_one(
    request: Request, fo_id: int, conn: Conn, user: StockActor, form: Form
) -> Response:
    """A pick list for this one order; the picker prints it or confirms it on screen (a store
    sends the associate back to its counter instead)."""
    fo = await visible_fulfillment_order(conn, user, fo_id)
    payload = PickListIn(location=fo.location, fulfillment_order_ids=[fo_id])
    made = await attempt(
        request, conn, lambda: picking.create_pick_list(conn, user.principal, payload)
    )
    if made is None or form.get("back"):
        return _back(fo, form)
    return back_to(f"/app/pick-lists/{made.id}")


@router.post("/fulfillment/{code}/pick-lists")
async def pick_wave(request: Request, code: str, conn: Conn, user: StockActor) -> Response:
    """A wave: every accepted order of the location (up to 50), summed per SKU by bin."""
    await my_location(conn, user, code)
    payload = PickListIn(location=code, max_orders=QUEUE_SIZE)
    made = await attempt(
        request, conn, lambda: picking.create_pick_list(conn, user.principal, payload)
    )
    return back_to(f"/app/pick-lists/{made.id}") if made else back_to(f"/app/fulfillment/{code}")


@router.get("/pick-lists/{pick_list_id}.pdf")
async def pick_list_pdf(pick_list_id: int, conn: Conn, user: SignedIn) -> Response:
    await visible_pick_list(conn, user, pick_list_id)
    pdf = await picking.pick_list_pdf(conn, user.org_id, pick_list_id)
    return Response(pdf, media_type="application/pdf")


@router.get("/pick-lists/{pick_list_id}")
async def pick_list(request: Request, pick_list_id: int, conn: Conn, user: SignedIn) -> Response:
    found = await visible_pick_list(conn, user, pick_list_id)
    return render(request, "pick_list.html", user, title=f"Pick list {found.id}", pick_list=found)


@router.post("/pick-lists/{pick_list_id}/confirm")
async def confirm_pick_list(
    request: Request, pick_list_id: int, conn: Conn, user: StockActor, form: Form
) -> Response:
    found = await visible_pick_list(conn, user, pick_list_id)
    picks: list[PickConfirmLine] = []
    for item in found.items:
        for o in item.orders:
            raw = str(form.get(f"pick-{o.fulfillment_order_id}-{o.line_no}", "")).strip()
            if raw:
                if not raw.isdigit():
                    flash(request, "enter the units picked as a whole number", kind="error")
                    return back_to(f"/app/pick-lists/{pick_list_id}")
                picks.append(
                    PickConfirmLine(
                        fulfillment_order_id=o.fulfillment_order_id,
                        line_no=o.line_no,
                        quantity=min(int(raw), o.quantity),
                    )
                )
    done = await attempt(
        request,
        conn,
        lambda: picking.confirm_pick_list(conn, user.principal, pick_list_id, picks),
        done="Picks recorded.",
    )
    if done is None:
        return back_to(f"/app/pick-lists/{pick_list_id}")
    return back_to(f"/app/fulfillment/{found.location}")


def _units_to_pack(fo: FulfillmentOrderOut) -> list[LineQuantity]:
    units = []
    for line in fo.lines:
        wanted = line.quantity - line.rejected
        picked = wanted if line.picked is None else min(line.picked, wanted)
        if picked - line.packed > 0:
            units.append(LineQuantity(line_no=line.line_no, quantity=picked - line.packed))
    return units


@router.post("/fulfillment/orders/{fo_id}/pack")
async def pack(request: Request, fo_id: int, conn: Conn, user: StockActor, form: Form) -> Response:
    """Into the box chosen, or into the smallest boxes of the location that hold it all."""
    fo = await visible_fulfillment_order(conn, user, fo_id)
    box = str(form.get("box", "")).strip()
    choice = None
    if box:
        items = _units_to_pack(fo)
        if not items:
            flash(request, "nothing is picked and waiting to be packed", kind="error")
            return _back(fo)
        choice = [ParcelChoice(box=box, items=items)]
    await attempt(
        request,
        conn,
        lambda: packing.pack(conn, user.principal, fo_id, choice),
        done=f"Packed {fo.order_number}.",
    )
    return _back(fo)


@router.post("/fulfillment/orders/{fo_id}/ship")
async def ship(request: Request, fo_id: int, user: StockActorOutsideTransaction) -> Response:
    """Buy the labels of the packed parcels (the channel's rate shopping picks the service),
    with no transaction open while the carrier answers."""
    db = database(request)
    async with db.reading() as conn:
        fo = await visible_fulfillment_order(conn, user, fo_id)
    shipped = await attempt_alone(
        request,
        lambda: dispatch.ship(db, user.principal, fo_id, parcel_ids=None, service_code=None),
        done=f"Shipped {fo.order_number}: the label is ready to print.",
    )
    return _back(shipped or fo)


@router.get("/fulfillment/orders/{fo_id}/packing-slip.pdf")
async def packing_slip(fo_id: int, conn: Conn, user: SignedIn) -> Response:
    await visible_fulfillment_order(conn, user, fo_id)
    return Response(
        await packing.packing_slip(conn, user.org_id, fo_id), media_type="application/pdf"
    )


@router.get("/shipments/{shipment_id}/label.pdf")
async def label_pdf(shipment_id: int, conn: Conn, user: SignedIn) -> Response:
    await visible_shipment(conn, user, shipment_id)
    pdf = await shipping.label_pdf(conn, user.org_id, shipment_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="label-{shipment_id}.pdf"'},
    )


@router.get("/shipments/{shipment_id}/label.zpl")
async def label_zpl(shipment_id: int, conn: Conn, user: SignedIn) -> Response:
    await visible_shipment(conn, user, shipment_id)
    zpl = await shipping.label_zpl(conn, user.org_id, shipment_id)
    return Response(
        zpl,
        media_type="application/zpl",
        headers={"Content-Disposition": f'attachment; filename="label-{shipment_id}.zpl"'},
    )
