"""Shipping over HTTP: `router` (under /v1) and `public_router` (the tracking page, no login)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.responses import HTMLResponse, Response

from orderly.kit.deps import Conn, Db, Tx, WritingConn
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.kit.vault import Vault, vault_for
from orderly.shipping import accounts, delivery_promise, service, tracking, webhooks
from orderly.shipping.domain import (
    Parcel,
    ShipmentRequest,
    ShipmentStatus,
    pick_service,
)
from orderly.shipping.followup import follow_status_changes
from orderly.shipping.presenters import quote_out
from orderly.shipping.schemas import (
    CarrierAccountIn,
    CarrierAccountOut,
    DeliveryPromiseIn,
    DeliveryPromiseOut,
    RatesIn,
    RatesOut,
    ShipmentView,
    TrackingEventsIn,
    TrackingEventsOut,
    TrackingWebhookOut,
)
from orderly.tenancy.deps import (
    OrderWriterOutsideTransaction,
    Reader,
    ReaderOutsideTransaction,
    SettingsWriter,
)

router = APIRouter(tags=["shipping"])
public_router = APIRouter(tags=["tracking page"])

ShipmentId = Annotated[int, Path(ge=1, le=2**63 - 1)]
CarrierCodePath = Annotated[str, Path(max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
MAX_RATE_CARD_BYTES = 1_000_000


def _vault(request: Request) -> Vault:
    return vault_for(request.app.state.settings)


SecretVault = Annotated[Vault, Depends(_vault)]


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema with its local $refs resolved, to embed in the OpenAPI document
    (the body of a signed push is read raw, so FastAPI does not describe it by itself)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


@router.get("/shipments", response_model=Page[ShipmentView], summary="List shipments")
async def list_shipments(
    conn: Conn,
    principal: Reader,
    order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    status: ShipmentStatus | None = None,
    tracking_number: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ShipmentView]:
    return await service.list_shipments(
        conn,
        principal.org_id,
        order_id=order_id,
        status=status,
        tracking_number=tracking_number,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/shipments/{shipment_id}",
    response_model=ShipmentView,
    summary="Get a shipment with its tracking timeline",
    responses=responses(404),
)
async def get_shipment(shipment_id: ShipmentId, conn: Conn, principal: Reader) -> ShipmentView:
    return await service.shipment(conn, principal.org_id, shipment_id)


@router.get(
    "/shipments/{shipment_id}/label.pdf",
    summary="The label as a 4x6 inch PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(404)},
)
async def label_pdf(shipment_id: ShipmentId, conn: Conn, principal: Reader) -> Response:
    pdf = await service.label_pdf(conn, principal.org_id, shipment_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="label-{shipment_id}.pdf"'},
    )


@router.get(
    "/shipments/{shipment_id}/label.zpl",
    summary="The label as ZPL for thermal printers (203 dpi)",
    response_class=Response,
    responses={200: {"content": {"application/zpl": {}}}, **responses(404)},
)
async def label_zpl(shipment_id: ShipmentId, conn: Conn, principal: Reader) -> Response:
    zpl = await service.label_zpl(conn, principal.org_id, shipment_id)
    return Response(
        zpl,
        media_type="application/zpl",
        headers={"Content-Disposition": f'attachment; filename="label-{shipment_id}.zpl"'},
    )


@router.post(
    "/shipments/{shipment_id}/cancel",
    response_model=ShipmentView,
    summary="Void the label of a shipment not yet picked up",
    responses=responses(404, described={409: "Already moving (`shipment_not_cancellable`)"}),
)
async def cancel_shipment(
    shipment_id: ShipmentId,
    database: Db,
    principal: OrderWriterOutsideTransaction,
    vault: SecretVault,
) -> ShipmentView:
    """The carrier voids the label outside any transaction; then the shipment is cancelled."""
    return await service.void_shipment(
        database, principal.org_id, shipment_id, principal.actor, vault=vault
    )


@router.post(
    "/rates",
    response_model=RatesOut,
    summary="Quote a hypothetical shipment across the organization's carriers",
    responses=responses(422),
)
async def rates(
    data: RatesIn, database: Db, principal: ReaderOutsideTransaction, vault: SecretVault
) -> RatesOut:
    request = ShipmentRequest(
        org_id=principal.org_id,
        ship_from=data.ship_from.as_dict(),
        ship_to=data.ship_to.as_dict(),
        parcels=[Parcel(**p.model_dump()) for p in data.parcels],
        ship_date=data.ship_date or datetime.now(UTC).date(),
        hazmat=data.hazmat,
    )
    quotes = await service.quote(database, principal.org_id, request, vault=vault)
    chosen = pick_service(quotes, policy=data.policy, promise_date=data.promise_date)
    return RatesOut(
        quotes=[quote_out(q) for q in quotes], recommended=quote_out(chosen) if chosen else None
    )


@router.post(
    "/delivery-promise",
    response_model=DeliveryPromiseOut,
    summary="When an order would arrive: sourcing's plan, priced and timed by the carriers",
    responses=responses(422),
)
async def delivery_promise_of(
    data: DeliveryPromiseIn, database: Db, principal: ReaderOutsideTransaction, vault: SecretVault
) -> DeliveryPromiseOut:
    """Nothing is reserved. The carriers are asked outside any transaction; one that fails is
    left out while another answers."""
    return await delivery_promise.promise(database, principal.org_id, data, vault=vault)


@router.get("/carriers", response_model=Page[CarrierAccountOut], summary="List configured carriers")
async def list_carriers(
    conn: Conn, principal: SettingsWriter, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[CarrierAccountOut]:
    return await accounts.list_carrier_accounts(conn, principal.org_id, limit=limit, cursor=cursor)


@router.post(
    "/carriers",
    response_model=CarrierAccountOut,
    status_code=201,
    summary="Configure a carrier account (credentials are stored encrypted, never returned)",
    responses=responses(403, 422, described={409: "The code is taken (`carrier_code_taken`)"}),
)
async def create_carrier(
    data: CarrierAccountIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: SettingsWriter,
    vault: SecretVault,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> Created:
        account = await accounts.create_carrier_account(conn, principal.org_id, data, vault=vault)
        return 201, account.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.post(
    "/carriers/{code}/rate-card",
    response_model=CarrierAccountOut,
    summary="Replace a carrier's rate card with a CSV (see docs/shipping.md for the columns)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
    responses=responses(
        described={
            404: "No such carrier (`carrier_not_found`)",
            422: "A bad row, named by line and column (`rate_card_invalid`)",
        }
    ),
)
async def upload_rate_card(
    code: CarrierCodePath, request: Request, conn: Conn, principal: SettingsWriter
) -> CarrierAccountOut:
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "the CSV must be UTF-8", "type": "value_error"}]
        ) from None
    return await accounts.load_rate_card(conn, principal.org_id, code, text)


@router.get(
    "/tracking/webhook",
    response_model=TrackingWebhookOut,
    summary="Where and how carriers push tracking events to this organization",
)
async def tracking_webhook(
    conn: WritingConn, principal: SettingsWriter, vault: SecretVault
) -> TrackingWebhookOut:
    # Created the first time it is asked for: this GET writes.
    token, secret = await webhooks.ensure_webhook(conn, principal.org_id, vault=vault)
    return TrackingWebhookOut(url="/v1/tracking/events", account_token=token, secret=secret)


@router.post(
    "/tracking/events",
    response_model=TrackingEventsOut,
    summary="Receive tracking events from a carrier or aggregator (HMAC-signed, no API key)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline_schema(TrackingEventsIn)}},
        }
    },
    responses=responses(described={401: "Unknown account or bad signature"}),
)
async def receive_tracking_events(
    request: Request,
    conn: Conn,
    vault: SecretVault,
    account: Annotated[str | None, Query(max_length=100)] = None,
    x_orderly_account: Annotated[str | None, Header(max_length=100)] = None,
    x_orderly_signature: Annotated[str | None, Header(max_length=1000)] = None,
) -> TrackingEventsOut:
    body = await request.body()
    org_id = await webhooks.authenticate_push(
        conn,
        account_token=x_orderly_account or account,
        signature=x_orderly_signature,
        body=body,
        vault=vault,
    )
    try:
        data = TrackingEventsIn.model_validate_json(body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None
    out, changes = await tracking.receive_events(conn, org_id, data.events)
    await follow_status_changes(conn, org_id, changes)
    return out


STATUS_LABELS = {
    "label_created": "Label created",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "exception": "Delivery exception",
    "cancelled": "Cancelled",
}


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orderly.shipping", "templates"),
        autoescape=True,
    )


@public_router.get(
    "/track/{tracking_number}",
    response_class=HTMLResponse,
    summary="Public tracking page: status and timeline, no login",
    responses={404: {"description": "Unknown tracking number", "content": {"text/html": {}}}},
)
async def tracking_page(
    tracking_number: Annotated[str, Path(max_length=64)], conn: Conn
) -> HTMLResponse:
    number = tracking_number.strip()
    shipment = await tracking.public_tracking(conn, number)
    if shipment is None and number != number.upper():
        shipment = await tracking.public_tracking(conn, number.upper())
    html = (
        _templates()
        .get_template("track.html")
        .render(
            shipment=shipment,
            tracking_number=tracking_number,
            status_label=STATUS_LABELS.get(shipment.status, shipment.status) if shipment else "",
            labels=STATUS_LABELS,
        )
    )
    return HTMLResponse(
        html,
        status_code=200 if shipment else 404,
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )
