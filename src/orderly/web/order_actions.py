"""What can be done to an order from its page: hold, release, cancel (or cancel what has not
shipped), change the address, add a note or a tag. Each action runs through the orders
service; a refusal is shown in plain words on the order's page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.order_flows import cancellation
from orderly.order_flows.release import release_order
from orderly.orders import service as orders
from orderly.tenancy.users import User
from orderly.web.deps import Conn, Form, OrderActor, attempt, back_to, flash
from orderly.web.scope import visible_order

router = APIRouter()

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")


def _text(form: Form, name: str) -> str:
    return str(form.get(name, "")).strip()


@router.post("/orders/{order_id}/hold")
async def hold(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    await visible_order(conn, user, order_id)
    reason = _text(form, "reason") or "held from the dashboard"
    await attempt(
        request,
        conn,
        lambda: orders.hold_order(conn, user.principal, order_id, reason),
        done="The order is on hold.",
    )
    return back_to(f"/app/orders/{order_id}")


@router.post("/orders/{order_id}/release")
async def release(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    await visible_order(conn, user, order_id)
    await attempt(
        request,
        conn,
        lambda: release_order(
            conn, user.principal, order_id, hold=None, reason="released from the dashboard"
        ),
        done="The holds are released.",
    )
    return back_to(f"/app/orders/{order_id}")


@router.post("/orders/{order_id}/cancel")
async def cancel(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    return await _cancel_with_reason(
        request,
        conn,
        user,
        order_id,
        _text(form, "reason"),
        lambda reason: cancellation.cancel_order(conn, user.principal, order_id, reason),
        missing="say why the order is cancelled",
        done="The order is cancelled and its stock released.",
    )


@router.post("/orders/{order_id}/cancel-unshipped")
async def cancel_unshipped(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    return await _cancel_with_reason(
        request,
        conn,
        user,
        order_id,
        _text(form, "reason"),
        lambda reason: cancellation.cancel_unshipped(conn, user.principal, order_id, reason),
        missing="say why the units are cancelled",
        done="The units not shipped are cancelled and their stock released.",
    )


async def _cancel_with_reason(
    request: Request,
    conn: Conn,
    user: User,
    order_id: int,
    reason: str,
    action: Callable[[str], Awaitable[object]],
    *,
    missing: str,
    done: str,
) -> Response:
    """A cancel needs a reason; without one nothing is done and the form says so."""
    await visible_order(conn, user, order_id)
    if not reason:
        flash(request, missing, kind="error", field="cancel-reason")
    else:
        await attempt(request, conn, lambda: action(reason), done=done)
    return back_to(f"/app/orders/{order_id}")


@router.post("/orders/{order_id}/address")
async def change_address(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    order = await visible_order(conn, user, order_id)
    address: dict[str, Any] = dict(order.shipping_address or {})
    for name in ADDRESS_FIELDS:
        value = _text(form, name)
        address[name] = value.upper() if name == "country" else (value or None)
    # The coordinates belonged to the old address.
    address.pop("latitude", None)
    address.pop("longitude", None)
    await attempt(
        request,
        conn,
        lambda: orders.edit_shipping_address(conn, user.principal, order_id, address),
        done="The shipping address is changed.",
    )
    return back_to(f"/app/orders/{order_id}")


@router.post("/orders/{order_id}/note")
async def note(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    await visible_order(conn, user, order_id)
    text = _text(form, "note")[:4000]
    await attempt(
        request,
        conn,
        lambda: orders.add_note(conn, user.principal, order_id, text),
        done="The note is added.",
    )
    return back_to(f"/app/orders/{order_id}")


@router.post("/orders/{order_id}/tag")
async def tag(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    await visible_order(conn, user, order_id)
    label = _text(form, "tag")
    await attempt(
        request,
        conn,
        lambda: orders.add_tag(conn, user.principal, order_id, label),
        done=f"Tagged {label}.",
    )
    return back_to(f"/app/orders/{order_id}")
