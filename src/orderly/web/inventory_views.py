"""Inventory: the SKU x location grid, what each channel is shown, adjust, receive and
transfer, and one level's ledger.
A location-limited user changes stock at their own locations only (they may send it anywhere)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.connections import channel_view
from orderly.inventory import service as inventory
from orderly.inventory.domain import Adjustment, AdjustmentReason, Transfer
from orderly.kit.errors import Forbidden, InvalidInput, OrderlyError
from orderly.tenancy import hierarchy
from orderly.web import stock_grid
from orderly.web.deps import Conn, Form, SignedIn, StockActor, attempt, back_to, flash
from orderly.web.lookups import my_location, my_locations
from orderly.web.rendering import render
from orderly.web.scope import ensure_location_code

router = APIRouter()

PAGE_SIZE = 50


@router.get("/inventory")
async def grid(request: Request, conn: Conn, user: SignedIn) -> Response:
    sku = request.query_params.get("sku", "").strip()
    cursor = request.query_params.get("cursor") or None
    locations = await my_locations(conn, user)
    codes = [loc.code for loc in locations]
    page = await inventory.stock_levels(
        conn,
        user.org_id,
        sku_codes=[sku] if sku else None,
        location_codes=codes if user.limited else None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    columns = stock_grid.columns(await hierarchy.hierarchy(conn, user.org_id), locations)
    rows = stock_grid.rows(page.items, columns)
    return render(
        request,
        "inventory.html",
        user,
        title="Inventory",
        columns=columns,
        rows=rows,
        totals=stock_grid.totals(rows, len(columns)),
        next_cursor=page.next_cursor,
        sku=sku,
        location_codes=codes,
        reasons=[r.value for r in AdjustmentReason if r is not AdjustmentReason.RECEIVED],
    )


@router.get("/inventory/channels")
async def channels_view(request: Request, conn: Conn, user: SignedIn) -> Response:
    """Per SKU, what each connected channel is shown: the stock pools applied. Organization-wide
    figures, so a location-limited user sees only their own locations' grid instead."""
    if user.limited:
        raise Forbidden("what the channels see is the whole organization's stock")
    sku = request.query_params.get("sku", "").strip()[:64]
    view = await channel_view.what_channels_see(conn, user.org_id, sku_prefix=sku)
    return render(
        request, "inventory_channels.html", user, title="What channels see", view=view, sku=sku
    )


@router.get("/inventory/ledger")
async def ledger(request: Request, conn: Conn, user: SignedIn, sku: str, location: str) -> Response:
    await my_location(conn, user, location)
    cursor = request.query_params.get("cursor") or None
    page = await inventory.movements(
        conn, user.org_id, sku_codes=[sku], location_codes=[location], limit=100, cursor=cursor
    )
    levels = await inventory.stock_levels(
        conn, user.org_id, sku_codes=[sku], location_codes=[location], limit=1
    )
    level = next((lv for item in levels.items for lv in item.locations), None)
    return render(
        request,
        "ledger.html",
        user,
        title=f"Ledger of {sku} at {location}",
        sku=sku,
        location=location,
        level=level,
        page=page,
    )


def _quantity(form: Form, name: str, *, signed: bool = False) -> int:
    raw = str(form.get(name, "")).strip()
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput("enter a whole number", field=name) from None
    if not signed and value <= 0:
        raise InvalidInput("enter a number above zero", field=name)
    return value


async def _stock_change(
    request: Request, conn: Conn, user: StockActor, form: Form, kind: str
) -> None:
    sku = str(form.get("sku", "")).strip()
    location = str(form.get("location", "")).strip()
    reference = str(form.get("reference", "")).strip() or None
    await my_location(conn, user, location)
    if kind == "receive":
        change = Adjustment(
            sku=sku,
            location=location,
            reason=AdjustmentReason.RECEIVED,
            delta=_quantity(form, "quantity"),
            reference=reference,
        )
        done = f"Received {change.delta} x {sku} at {location}."
    else:
        reason = str(form.get("reason", ""))
        if reason not in AdjustmentReason.__members__.values():
            raise InvalidInput("choose a reason", field="reason")
        counted = str(form.get("mode", "delta")) == "count"
        value = _quantity(form, "quantity", signed=True)
        change = Adjustment(
            sku=sku,
            location=location,
            reason=AdjustmentReason(reason),
            delta=None if counted else value,
            set_on_hand=value if counted else None,
            reference=reference,
        )
        done = f"Adjusted {sku} at {location}."
    await attempt(
        request,
        conn,
        lambda: inventory.adjust_stock(conn, user.org_id, user.principal.actor, [change]),
        done=done,
    )


@router.post("/inventory/adjust")
async def adjust(request: Request, conn: Conn, user: StockActor, form: Form) -> Response:
    await _guarded(request, conn, user, form, "adjust")
    return back_to("/app/inventory")


@router.post("/inventory/receive")
async def receive(request: Request, conn: Conn, user: StockActor, form: Form) -> Response:
    await _guarded(request, conn, user, form, "receive")
    return back_to("/app/inventory")


async def _guarded(request: Request, conn: Conn, user: StockActor, form: Form, kind: str) -> None:
    if location := str(form.get("location", "")).strip():
        await ensure_location_code(conn, user, location)
    try:
        await _stock_change(request, conn, user, form, kind)
    except OrderlyError as error:
        flash(request, error.detail, kind="error", field=error.field)


@router.post("/inventory/transfer")
async def transfer(request: Request, conn: Conn, user: StockActor, form: Form) -> Response:
    sku = str(form.get("sku", "")).strip()
    source = str(form.get("from_location", "")).strip()
    destination = str(form.get("to_location", "")).strip()
    if source:
        await ensure_location_code(conn, user, source)
    try:
        await my_location(conn, user, source)
        move = Transfer(
            sku=sku,
            from_location=source,
            to_location=destination,
            quantity=_quantity(form, "transfer_quantity"),
            reference=str(form.get("reference", "")).strip() or None,
        )
    except OrderlyError as error:
        flash(request, error.detail, kind="error", field=error.field)
        return back_to("/app/inventory")
    await attempt(
        request,
        conn,
        lambda: inventory.transfer_stock(conn, user.org_id, user.principal.actor, move),
        done=f"Moved {move.quantity} x {sku} from {source} to {destination}.",
    )
    return back_to("/app/inventory")
