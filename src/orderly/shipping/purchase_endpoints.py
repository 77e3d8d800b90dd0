"""Label purchases over HTTP: the record of each purchase, and a person's resolution of one a
lost carrier answer left in doubt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from orderly.kit.deps import Conn
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.shipping import purchase_review
from orderly.shipping.schemas import LabelPurchaseOut, LabelPurchaseResolveIn, LabelPurchaseStatus
from orderly.tenancy.deps import OrderWriter, Reader

router = APIRouter(tags=["shipping"])

LabelPurchaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get(
    "/label-purchases", response_model=Page[LabelPurchaseOut], summary="List label purchases"
)
async def list_label_purchases(
    conn: Conn,
    principal: Reader,
    status: LabelPurchaseStatus | None = None,
    order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[LabelPurchaseOut]:
    """Newest first; `status=needs_attention` lists those a person must look at in the carrier
    account (a lost answer the carrier could not settle by lookup and void)."""
    return await purchase_review.list_label_purchases(
        conn, principal.org_id, status=status, order_id=order_id, limit=limit, cursor=cursor
    )


@router.post(
    "/label-purchases/{purchase_id}/resolve",
    response_model=LabelPurchaseOut,
    summary="Resolve a label purchase that needs attention",
    responses=responses(404, 409, 422),
)
async def resolve_label_purchase(
    purchase_id: LabelPurchaseId, body: LabelPurchaseResolveIn, conn: Conn, principal: OrderWriter
) -> LabelPurchaseOut:
    """Say what the carrier account showed and what was done (a stray label voided, or none
    found); 409 `label_purchase_not_open` unless the purchase needs attention."""
    return await purchase_review.resolve_label_purchase(
        conn, principal.org_id, purchase_id, note=body.note, actor=principal.actor
    )
