"""The automation API: replenishment rules and suppliers, purchase orders, fraud rules and
the review queue, and the late-shipments report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from orderly.automation import fraud, purchasing, restock, sla
from orderly.automation.domain import PurchaseOrderStatus
from orderly.automation.schemas import (
    FraudRulesIn,
    FraudRulesOut,
    LateShipmentsOut,
    PurchaseOrderOut,
    ReceiptIn,
    ReplenishmentRuleOut,
    ReplenishmentRulesIn,
    RestockRunOut,
    ReviewReasonIn,
    SkuSupplierOut,
    SkuSuppliersIn,
)
from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.orders.schemas import OrderOut
from orderly.tenancy.deps import InventoryWriter, OrderWriter, Reader, SettingsWriter

router = APIRouter(tags=["automation"])

READ_ERRORS = responses(401, 404, 422)
WRITE_ERRORS = responses(401, 403, 404, 409, 422)


# Replenishment -------------------------------------------------------------------------------


@router.put(
    "/replenishment/rules",
    response_model=list[ReplenishmentRuleOut],
    summary="Set reorder points and min/max per SKU and location",
    responses=WRITE_ERRORS,
)
async def set_replenishment_rules(
    data: ReplenishmentRulesIn, conn: Conn, principal: InventoryWriter
) -> list[ReplenishmentRuleOut]:
    """When available + on order falls below `reorder_point`, the restock job orders up to
    `max_quantity` (at least `min_quantity`, in whole packs of the SKU's supplier)."""
    return await restock.set_rules(conn, principal.org_id, data.rules)


@router.get("/replenishment/rules", response_model=Page[ReplenishmentRuleOut])
async def list_replenishment_rules(
    conn: Conn, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[ReplenishmentRuleOut]:
    return await restock.list_rules(conn, principal.org_id, limit=limit, cursor=cursor)


@router.put(
    "/replenishment/suppliers",
    response_model=list[SkuSupplierOut],
    summary="Set each SKU's supplier, cost, lead time and pack size",
    responses=WRITE_ERRORS,
)
async def set_sku_suppliers(
    data: SkuSuppliersIn, conn: Conn, principal: InventoryWriter
) -> list[SkuSupplierOut]:
    """The supplier is a location of kind `supplier`; a SKU has one supplier."""
    return await restock.set_suppliers(conn, principal.org_id, data.suppliers)


@router.get("/replenishment/suppliers", response_model=Page[SkuSupplierOut])
async def list_sku_suppliers(
    conn: Conn, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[SkuSupplierOut]:
    return await restock.list_suppliers(conn, principal.org_id, limit=limit, cursor=cursor)


@router.post(
    "/replenishment/run",
    response_model=RestockRunOut,
    summary="Run the restock job now for this organization",
    responses=WRITE_ERRORS,
)
async def run_restock(conn: Conn, principal: InventoryWriter) -> RestockRunOut:
    """What the hourly job does: draft (or top up) a purchase order per supplier and
    destination. Running it again drafts nothing new while the drafts cover the need."""
    ids = await restock.draft_purchase_orders(conn, principal.org_id, datetime.now(UTC).date())
    return RestockRunOut(
        purchase_orders=await purchasing.purchase_orders_by_id(conn, principal.org_id, ids)
    )


# Purchase orders -----------------------------------------------------------------------------


@router.get("/purchase-orders", response_model=Page[PurchaseOrderOut])
async def list_purchase_orders(
    conn: Conn,
    principal: Reader,
    status: PurchaseOrderStatus | None = None,
    supplier: Annotated[str | None, Query(max_length=64, description="Supplier code")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[PurchaseOrderOut]:
    return await purchasing.list_purchase_orders(
        conn,
        principal.org_id,
        status=status.value if status else None,
        supplier=supplier,
        limit=limit,
        cursor=cursor,
    )


@router.get("/purchase-orders/{po_id}", response_model=PurchaseOrderOut, responses=READ_ERRORS)
async def get_purchase_order(po_id: ResourceId, conn: Conn, principal: Reader) -> PurchaseOrderOut:
    return await purchasing.get_purchase_order(conn, principal.org_id, po_id)


@router.post(
    "/purchase-orders/{po_id}/submit", response_model=PurchaseOrderOut, responses=WRITE_ERRORS
)
async def submit_purchase_order(
    po_id: ResourceId, conn: Conn, principal: InventoryWriter
) -> PurchaseOrderOut:
    """Send a draft to the supplier; from now on the restock job no longer adds to it."""
    return await purchasing.submit_purchase_order(conn, principal, po_id)


@router.post(
    "/purchase-orders/{po_id}/receive",
    response_model=PurchaseOrderOut,
    status_code=201,
    responses=WRITE_ERRORS,
)
async def receive_purchase_order(
    po_id: ResourceId,
    data: ReceiptIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: InventoryWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Receive units per line (partial receipts allowed, never more than ordered): they are
    booked into the destination's stock as receipts, and backorders waiting for them are
    sourced. Send an `Idempotency-Key` so that a retried receipt is not booked twice."""

    async def create() -> Created:
        po = await purchasing.receive_purchase_order(conn, principal, po_id, data.lines)
        return 201, po.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


# Fraud ---------------------------------------------------------------------------------------


@router.get("/fraud/rules", response_model=FraudRulesOut)
async def get_fraud_rules(conn: Conn, principal: Reader) -> FraudRulesOut:
    """Every rule with this organization's setting (disabled until enabled), and the score at
    which an order is held for review."""
    return await fraud.get_rules(conn, principal.org_id)


@router.put("/fraud/rules", response_model=FraudRulesOut, responses=WRITE_ERRORS)
async def put_fraud_rules(
    data: FraudRulesIn, conn: Conn, principal: SettingsWriter
) -> FraudRulesOut:
    """Enable, disable or tune the rules named (others keep their settings); scores add up and
    an order at or above `hold_threshold` is held with reason `fraud_review`."""
    return await fraud.put_rules(conn, principal.org_id, data)


@router.get("/fraud/review", response_model=Page[OrderOut])
async def fraud_review_queue(
    conn: Conn, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[OrderOut]:
    """Orders on hold for fraud review, oldest first; the `check.fraud` event on each order's
    timeline says which rules fired."""
    return await fraud.review_queue(conn, principal.org_id, limit=limit, cursor=cursor)


@router.post("/fraud/review/{order_id}/approve", response_model=OrderOut, responses=WRITE_ERRORS)
async def approve_order(
    order_id: ResourceId, conn: Conn, principal: OrderWriter, body: ReviewReasonIn | None = None
) -> OrderOut:
    """Release the fraud-review hold; with no other hold the order moves on."""
    return await fraud.approve(conn, principal, order_id, body.reason if body else None)


@router.post("/fraud/review/{order_id}/reject", response_model=OrderOut, responses=WRITE_ERRORS)
async def reject_order(
    order_id: ResourceId, conn: Conn, principal: OrderWriter, body: ReviewReasonIn | None = None
) -> OrderOut:
    """Cancel the order, release its stock and refund what was paid."""
    return await fraud.reject(conn, principal, order_id, body.reason if body else None)


# Reports -------------------------------------------------------------------------------------


@router.get(
    "/reports/late-shipments",
    response_model=LateShipmentsOut,
    tags=["reports"],
    responses=READ_ERRORS,
)
async def late_shipments(
    conn: Conn,
    principal: Reader,
    group_by: Annotated[
        str, Query(max_length=32, description="`location` or `channel`")
    ] = "location",
    since: Annotated[datetime | None, Query(description="Flagged at or after")] = None,
    until: Annotated[datetime | None, Query(description="Flagged before")] = None,
) -> LateShipmentsOut:
    """Orders flagged late (not shipped by their promise date), per location that held their
    unshipped units; `location: null` counts orders with no units allocated yet."""
    return await sla.late_shipments(
        conn, principal.org_id, group_by=group_by, since=since, until=until
    )
