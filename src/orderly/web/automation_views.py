"""Automation: restock suggestions (the restock job's draft purchase orders) and purchase
orders to submit and receive, the fraud review queue, and the late orders of the SLA watch."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.automation import fraud, purchasing, restock, sla
from orderly.automation.domain import OPEN_PURCHASE_ORDER_STATUSES, PurchaseOrderStatus
from orderly.automation.schemas import PurchaseOrderOut, ReceiptLineIn
from orderly.kit.errors import InvalidInput
from orderly.tenancy.users import User
from orderly.web.deps import Conn, Form, OrderActor, SignedIn, StockActor, attempt, back_to, flash
from orderly.web.rendering import render
from orderly.web.scope import location_ids, visible_order, visible_purchase_order

router = APIRouter()

QUEUE_SIZE = 50
# The fraud service reads each order in the queue on its own; a short page keeps it fast.
REVIEW_PAGE = 25
HERE = "/app/automation"


async def _purchase_orders(conn: Conn, user: User, status: str) -> list[PurchaseOrderOut]:
    page = await purchasing.list_purchase_orders(
        conn,
        user.org_id,
        status=status,
        supplier=None,
        limit=QUEUE_SIZE,
        cursor=None,
        destination_ids=location_ids(user),
    )
    return page.items


@router.get("/automation")
async def restock_page(request: Request, conn: Conn, user: SignedIn) -> Response:
    open_orders = {
        s.value: await _purchase_orders(conn, user, s.value) for s in OPEN_PURCHASE_ORDER_STATUSES
    }
    rules = await restock.list_rules(
        conn, user.org_id, limit=QUEUE_SIZE, cursor=None, location_ids=location_ids(user)
    )
    return render(
        request,
        "automation.html",
        user,
        title="Restock",
        drafts=open_orders[PurchaseOrderStatus.DRAFT.value],
        incoming=open_orders[PurchaseOrderStatus.SUBMITTED.value]
        + open_orders[PurchaseOrderStatus.PARTIALLY_RECEIVED.value],
        received=await _purchase_orders(conn, user, PurchaseOrderStatus.RECEIVED.value),
        rules=rules.items,
    )


@router.post("/automation/restock/run")
async def run_restock(request: Request, conn: Conn, user: StockActor) -> Response:
    touched = await attempt(
        request,
        conn,
        lambda: restock.draft_purchase_orders(
            conn, user.org_id, datetime.now(UTC).date(), location_ids=location_ids(user)
        ),
    )
    if touched is not None:
        flash(
            request,
            f"{len(touched)} purchase orders drafted or topped up."
            if touched
            else "Nothing is below its reorder point: no purchase order needed.",
        )
    return back_to(HERE)


@router.post("/automation/purchase-orders/{po_id}/submit")
async def submit(request: Request, po_id: int, conn: Conn, user: StockActor) -> Response:
    await visible_purchase_order(conn, user, po_id)
    await attempt(
        request,
        conn,
        lambda: purchasing.submit_purchase_order(conn, user.principal, po_id),
        done="Submitted to the supplier.",
    )
    return back_to(HERE)


@router.post("/automation/purchase-orders/{po_id}/receive")
async def receive(
    request: Request, po_id: int, conn: Conn, user: StockActor, form: Form
) -> Response:
    po = await visible_purchase_order(conn, user, po_id)
    lines = []
    for n, line in enumerate(po.lines):
        value = str(form.get(f"po-{po_id}-{n}", "")).strip() or "0"
        if not value.isdigit():
            flash(request, "enter a whole number of units", kind="error", field=f"po-{po_id}-{n}")
            return back_to(HERE)
        if int(value):
            lines.append(ReceiptLineIn(sku=line.sku, quantity=int(value)))
    if not lines:
        flash(request, f"enter the units of {po.number} that arrived", kind="error")
        return back_to(HERE)
    await attempt(
        request,
        conn,
        lambda: purchasing.receive_purchase_order(conn, user.principal, po_id, lines),
        done=f"{sum(x.quantity for x in lines)} units of {po.number} received into stock.",
    )
    return back_to(HERE)


@router.get("/automation/fraud")
async def fraud_page(request: Request, conn: Conn, user: SignedIn) -> Response:
    cursor = request.query_params.get("cursor") or None
    page = await fraud.review_queue(
        conn, user.org_id, limit=REVIEW_PAGE, cursor=cursor, location_ids=location_ids(user)
    )
    return render(
        request,
        "fraud_review.html",
        user,
        title="Fraud review",
        orders=page.items,
        next_cursor=page.next_cursor,
    )


def _reason(form: Form) -> str | None:
    return str(form.get("reason", "")).strip()[:500] or None


@router.post("/automation/fraud/{order_id}/approve")
async def approve(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    await visible_order(conn, user, order_id)
    await attempt(
        request,
        conn,
        lambda: fraud.approve(conn, user.principal, order_id, _reason(form)),
        done="Approved: the order moves on.",
    )
    return back_to(HERE + "/fraud")


@router.post("/automation/fraud/{order_id}/reject")
async def reject(
    request: Request, order_id: int, conn: Conn, user: OrderActor, form: Form
) -> Response:
    await visible_order(conn, user, order_id)
    await attempt(
        request,
        conn,
        lambda: fraud.reject(conn, user.principal, order_id, _reason(form)),
        done="Rejected: the order is cancelled, its stock released and its payment given back.",
    )
    return back_to(HERE + "/fraud")


@router.get("/automation/late")
async def late_page(request: Request, conn: Conn, user: SignedIn) -> Response:
    since = request.query_params.get("since", "").strip()
    try:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError:
        raise InvalidInput("enter a date as YYYY-MM-DD", field="since") from None
    report = await sla.late_shipments(
        conn,
        user.org_id,
        group_by="location",
        since=start,
        until=None,
        location_ids=location_ids(user),
    )
    return render(
        request,
        "late_orders.html",
        user,
        title="Late orders",
        late=await sla.still_late(
            conn, user.org_id, limit=QUEUE_SIZE * 2, location_ids=location_ids(user)
        ),
        report=report,
        since=since,
        now=datetime.now(UTC),
    )
