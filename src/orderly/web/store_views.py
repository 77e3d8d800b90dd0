"""The store counter: orders to collect (awaiting preparation, ready, expiring soon), marking
them ready (which makes the customer's pickup code) and handing them over against the code."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.fulfillment import pickup
from orderly.fulfillment import service as fulfillment
from orderly.fulfillment.domain import FulfillmentStatus
from orderly.fulfillment.schemas import FulfillmentOrderOut
from orderly.kit.clock import utcnow
from orderly.kit.secrets import secret_key
from orderly.web.deps import Conn, Form, SignedIn, StockActor, attempt, back_to, flash
from orderly.web.lookups import my_location, my_locations
from orderly.web.rendering import render
from orderly.web.scope import visible_fulfillment_order

router = APIRouter()

F = FulfillmentStatus
AWAITING = (F.PENDING, F.ACCEPTED, F.PICKING, F.PACKED)
EXPIRING_WITHIN = timedelta(hours=24)
QUEUE_SIZE = 100


@router.get("/store")
async def choose_store(request: Request, conn: Conn, user: SignedIn) -> Response:
    stores = await my_locations(conn, user, capability="pickup")
    if len(stores) == 1:
        return back_to(f"/app/store/{stores[0].code}")
    return render(
        request,
        "choose_location.html",
        user,
        title="Store",
        heading="Store pickup: choose a store",
        base="/app/store",
        locations=stores,
    )


async def _pickups(
    conn: Conn, org_id: int, location_id: int, status: F
) -> list[FulfillmentOrderOut]:
    page = await fulfillment.list_fulfillment_orders(
        conn,
        org_id,
        location_id=location_id,
        status=status,
        order_id=None,
        limit=QUEUE_SIZE,
        cursor=None,
    )
    return [fo for fo in page.items if fo.pickup]


@router.get("/store/{code}")
async def store_counter(request: Request, code: str, conn: Conn, user: SignedIn) -> Response:
    store = await my_location(conn, user, code, capability="pickup")
    awaiting = [
        fo for status in AWAITING for fo in await _pickups(conn, user.org_id, store.id, status)
    ]
    ready = await _pickups(conn, user.org_id, store.id, F.READY_FOR_PICKUP)
    soon = utcnow() + EXPIRING_WITHIN
    expiring = [fo for fo in ready if fo.pickup_expires_at and fo.pickup_expires_at <= soon]
    return render(
        request,
        "store.html",
        user,
        title=f"Store {code}",
        store=store,
        awaiting=sorted(awaiting, key=lambda fo: fo.id),
        ready=[fo for fo in ready if fo not in expiring],
        expiring=expiring,
        stores=await my_locations(conn, user, capability="pickup"),
    )


@router.post("/store/orders/{fo_id}/ready")
async def mark_ready(request: Request, fo_id: int, conn: Conn, user: StockActor) -> Response:
    fo = await visible_fulfillment_order(conn, user, fo_id)
    secret = secret_key(request.app.state.parent.state.settings)
    made = await attempt(
        request,
        conn,
        lambda: pickup.ready_for_pickup(conn, user.principal, fo_id, secret=secret),
    )
    if made is not None:
        # The code goes to the customer only: never into the (signed, not secret) cookie.
        flash(request, f"{fo.order_number} is ready. The customer is sent their pickup code.")
    return back_to(f"/app/store/{fo.location}")


@router.post("/store/orders/{fo_id}/collect")
async def collect(
    request: Request, fo_id: int, conn: Conn, user: StockActor, form: Form
) -> Response:
    fo = await visible_fulfillment_order(conn, user, fo_id)
    code = str(form.get("code", "")).strip()
    secret = secret_key(request.app.state.parent.state.settings)
    if not code:
        flash(request, "enter the customer's pickup code", kind="error", field=f"code-{fo_id}")
        return back_to(f"/app/store/{fo.location}")
    await attempt(
        request,
        conn,
        lambda: pickup.collect(conn, user.principal, fo_id, code, secret=secret),
        done=f"{fo.order_number} is handed over.",
        field=f"code-{fo_id}",
    )
    return back_to(f"/app/store/{fo.location}")
