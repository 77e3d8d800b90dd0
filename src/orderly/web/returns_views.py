"""Returns: the queue, one return with its receipt (inspection per line) and its refund, and
the staff form that opens a return from an order's page. Every step goes through the returns
service; a refusal is shown in plain words next to the field or at the top."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from orderly.kit.errors import InvalidInput
from orderly.kit.money import from_minor, to_minor
from orderly.kit.query import query_id
from orderly.locations.domain import Capability
from orderly.payments.schemas import RefundDestination
from orderly.returns import labels, receiving, service, settlement
from orderly.returns.domain import RECEIVABLE, ReturnMethod, ReturnStatus
from orderly.returns.schemas import (
    InspectedLineIn,
    ReceiveIn,
    RefundIn,
    ReturnIn,
    ReturnLineIn,
    ReturnOut,
)
from orderly.tenancy.users import User
from orderly.web.deps import (
    Conn,
    Form,
    OrderActor,
    OrderActorOutsideTransaction,
    SignedIn,
    attempt,
    attempt_alone,
    back_to,
    database,
    flash,
)
from orderly.web.lookups import my_locations
from orderly.web.rendering import render
from orderly.web.scope import ensure_location_code, location_ids, visible_order, visible_return

router = APIRouter()

PAGE_SIZE = 50
REFUNDABLE = (ReturnStatus.RECEIVED, ReturnStatus.PARTIALLY_REFUNDED)
OUTCOMES = ("restock", "damaged", "dispose")


def _text(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def _count(form: FormData, name: str) -> int:
    value = _text(form, name) or "0"
    if not value.isdigit():
        raise InvalidInput("enter a whole number of units", field=name)
    return int(value)


def owed(found: ReturnOut) -> str:
    """What the received units are still owed: the refund the form offers by default."""
    currency = found.currency
    minor = (
        to_minor(found.received_value, currency)
        - to_minor(found.refunded, currency)
        - to_minor(found.exchange_credit, currency)
    )
    return from_minor(max(minor, 0), currency)


@router.get("/returns")
async def return_queue(request: Request, conn: Conn, user: SignedIn) -> Response:
    status = request.query_params.get("status", "").strip()
    if status and status not in ReturnStatus.__members__.values():
        raise InvalidInput(f"there is no return status {status!r}", field="status")
    order = request.query_params.get("order", "").strip()
    order_id = query_id(order, "order")
    cursor = request.query_params.get("cursor") or None
    page = await service.list_returns(
        conn,
        user.org_id,
        order_id=order_id,
        status=ReturnStatus(status) if status else None,
        limit=PAGE_SIZE,
        cursor=cursor,
        location_ids=location_ids(user),
    )
    return render(
        request,
        "returns.html",
        user,
        title="Returns",
        returns=page.items,
        next_cursor=page.next_cursor,
        status=status,
        order=order,
        statuses=[s.value for s in ReturnStatus],
    )


@router.get("/returns/{return_id}")
async def return_detail(request: Request, return_id: int, conn: Conn, user: SignedIn) -> Response:
    found = await visible_return(conn, user, return_id)
    status = ReturnStatus(found.status)
    locations = await my_locations(conn, user, capability=Capability.RETURNS.value)
    return render(
        request,
        "return.html",
        user,
        title=f"Return {found.number}",
        ret=found,
        can_receive=status in RECEIVABLE and any(x.received < x.quantity for x in found.lines),
        can_refund=status in REFUNDABLE and owed(found) != from_minor(0, found.currency),
        owed=owed(found),
        locations=[loc.code for loc in locations],
        destinations=[d.value for d in RefundDestination],
    )


@router.post("/returns/{return_id}/receive")
async def receive(
    request: Request, return_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    found = await visible_return(conn, user, return_id)
    url = f"/app/returns/{return_id}"
    lines = []
    try:
        for line in found.lines:
            counts = {o: _count(form, f"{o}-{line.line_no}") for o in OUTCOMES}
            if any(counts.values()):
                lines.append(InspectedLineIn(line_no=line.line_no, **counts))
    except InvalidInput as error:
        flash(request, error.detail, kind="error", field=error.field)
        return back_to(url)
    if not lines:
        flash(request, "enter the units that arrived on at least one line", kind="error")
        return back_to(url)
    body = ReceiveIn(location=_text(form, "location") or None, lines=lines)
    if body.location is not None:
        await ensure_location_code(conn, user, body.location)
    await attempt(
        request,
        conn,
        lambda: receiving.receive_return(conn, user.principal, return_id, body),
        done=f"{found.number}: {sum(x.restock + x.damaged + x.dispose for x in lines)} "
        "units received.",
    )
    return back_to(url)


@router.post("/returns/{return_id}/refund")
async def refund(
    request: Request, return_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    await visible_return(conn, user, return_id)
    url = f"/app/returns/{return_id}"
    try:
        body = RefundIn(
            amount=_text(form, "amount") or None,
            destination=RefundDestination(_text(form, "destination") or "original_payment"),
        )
    except (ValidationError, ValueError):
        flash(request, "enter an amount such as 19.99", kind="error", field="amount")
        return back_to(url)
    done = await attempt(
        request,
        conn,
        lambda: settlement.refund_return(conn, user.principal, return_id, body, header_key=None),
    )
    if done is not None:
        where = (
            "store credit"
            if body.destination is RefundDestination.STORE_CREDIT
            else ("the original payment")
        )
        flash(request, f"Refunded {done.refund.amount} {done.refund.currency} to {where}.")
    return back_to(url)


@router.post("/returns/{return_id}/close")
async def close(
    request: Request, return_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    found = await visible_return(conn, user, return_id)
    await attempt(
        request,
        conn,
        lambda: service.close_return(conn, user.principal, return_id, None),
        done=f"{found.number} is closed.",
    )
    return back_to(f"/app/returns/{return_id}")


@router.post("/returns/{return_id}/authorize")
async def authorize(
    request: Request, return_id: int, user: OrderActorOutsideTransaction
) -> Response:
    """Authorize a requested return (again, after its label could not be bought)."""
    db = database(request)
    async with db.reading() as conn:
        found = await visible_return(conn, user, return_id)
    await attempt_alone(
        request,
        lambda: labels.authorize_return(db, user.principal, return_id),
        done=f"{found.number} is authorized.",
    )
    return back_to(f"/app/returns/{return_id}")


@router.post("/returns/{return_id}/cancel")
async def cancel(request: Request, return_id: int, user: OrderActorOutsideTransaction) -> Response:
    """Cancel a return nothing of which has arrived; its unused label is voided."""
    db = database(request)
    async with db.reading() as conn:
        found = await visible_return(conn, user, return_id)
    cancelled = await attempt_alone(
        request,
        lambda: labels.cancel_return(db, user.principal, return_id, None),
        done=f"{found.number} is cancelled.",
    )
    if cancelled is not None and cancelled.label_problem:
        flash(request, cancelled.label_problem, kind="error")
    return back_to(f"/app/returns/{return_id}")


# Opening a return from the order's page -------------------------------------------------------


async def _new_return_page(
    request: Request, conn: Conn, user: User, order_id: int, values: dict[str, Any], status: int
) -> Response:
    order = await visible_order(conn, user, order_id)
    view = await service.returnable_order(conn, user.org_id, order_id)
    stores = await my_locations(conn, user, capability=Capability.RETURNS.value)
    return render(
        request,
        "return_new.html",
        user,
        status_code=status,
        title=f"Return for {order.number}",
        order=order,
        lines=view.lines,
        reasons=view.policy.reasons,
        window_closes=view.window_closes,
        stores=[loc.code for loc in stores],
        methods=[m.value for m in ReturnMethod],
        values=values,
    )


@router.get("/orders/{order_id}/return")
async def new_return(request: Request, order_id: int, conn: Conn, user: SignedIn) -> Response:
    return await _new_return_page(request, conn, user, order_id, {}, 200)


def _return_body(form: FormData, order_id: int, line_nos: list[int]) -> ReturnIn:
    lines = []
    for n in line_nos:
        quantity = _count(form, f"quantity-{n}")
        if quantity:
            lines.append(ReturnLineIn(line_no=n, quantity=quantity, reason=_text(form, "reason")))
    if not lines:
        raise InvalidInput("choose at least one unit to return", field="quantity")
    if not _text(form, "reason"):
        raise InvalidInput("choose a reason", field="reason")
    method = _text(form, "method") or ReturnMethod.SHIP_BACK.value
    if method not in ReturnMethod.__members__.values():
        raise InvalidInput("choose how the units come back", field="method")
    location = _text(form, "location") or None
    if method == ReturnMethod.IN_STORE.value and location is None:
        raise InvalidInput("choose the store that takes the units", field="location")
    return ReturnIn(
        order_id=order_id,
        lines=lines,
        method=ReturnMethod(method),
        location=location,
        notes=_text(form, "notes")[:2000] or None,
    )


@router.post("/orders/{order_id}/return")
async def open_return(
    request: Request, order_id: int, user: OrderActorOutsideTransaction, form: Form
) -> Response:
    """Open and authorize the return; a ship-back return's label is bought with no
    transaction open while the carrier answers."""
    db = database(request)
    values = {k: _text(form, k) for k in form if k != "csrf_token"}
    async with db.reading() as conn:
        await visible_order(conn, user, order_id)
        view = await service.returnable_order(conn, user.org_id, order_id)
        try:
            body = _return_body(form, order_id, [x.line_no for x in view.lines])
        except InvalidInput as error:
            flash(request, error.detail, kind="error", field=error.field)
            return await _new_return_page(request, conn, user, order_id, values, 422)
        if body.location is not None:
            await ensure_location_code(conn, user, body.location)
    opened = await attempt_alone(request, lambda: labels.open_return(db, user.principal, body))
    if opened is None:
        async with db.reading() as conn:
            return await _new_return_page(request, conn, user, order_id, values, 422)
    flash(request, f"Return {opened.number} is open ({opened.status.value.replace('_', ' ')}).")
    if opened.label_problem:
        flash(request, f"No label yet: {opened.label_problem}", kind="error")
    return back_to(f"/app/returns/{opened.id}")
