"""A fake Flipkart seller account, after Flipkart's Marketplace Seller API documentation: it
answers and refuses as the documents say, and counts token lifetimes, rate limits and label
making on a `MovableClock`."""

# Sources: flipkart.github.io/fk-api-platform-docs (and the OpenAPI reference it is built
# from), seller.flipkart.com/api-docs, Flipkart/flipkart-seller-api-java-sdk. Where they are
# silent the fake takes a side: the search gives at most 20 a page (the v2 search's documented
# maximum), a 429 carries `Retry-After: 1` (Flipkart documents no rate limits), `nextPageUrl`
# is relative to `/sellers`, an inventory batch of the wrong shape (more than 10 SKUs, no
# product id) is a 400 for the whole call, and a self-ship dispatch needs a
# `deliveryPartnerCode` from the seller's allowed couriers (the older reference's rule).

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderly.kit.clock import utcnow
from tests.clock import MovableClock

INDIA = timezone(timedelta(hours=5, minutes=30))
TOKEN_LIFETIME = 60 * 24 * 3600  # "The access token expiry is 60 days"
PAGE_MAX = 20
SHIPMENT_IDS_MAX = 100
PACK_MAX, DISPATCH_MAX, CANCEL_MAX, SELF_SHIP_MAX = 25, 25, 25, 100
LABEL_PDF_MAX = 50
INVENTORY_SKUS_MAX = 10
LISTING_PAGE = 500
PRE = ["APPROVED", "PACKING_IN_PROGRESS", "FORM_FAILED", "PACKED", "READY_TO_DISPATCH"]
POST = ["SHIPPED", "DELIVERED", "PICKUP_COMPLETE"]
CANCEL_TYPES = {"sellerCancellation", "buyerCancellation", "marketplaceCancellation"}
CANCEL_REASONS = {"cannot_procure_item", "not_enough_inventory", "b2b_order"}
SORT_FIELDS = {"dispatchByDate", "orderDate", "modifiedDate", "dispatchAfterDate"}
PROGRESS = ["APPROVED", "FORM_FAILED", "PACKING_IN_PROGRESS", "PACKED", "READY_TO_DISPATCH"]
PROGRESS += ["PICKUP_COMPLETE", "SHIPPED", "DELIVERED", "COMPLETED"]
EVENTS = {
    "created": "shipment_created",
    "updated": "shipment_dispatch_dates_changed",
    "cancelled": "shipment_cancelled",
}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Problem(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def bad(code: str, message: str, status: int = 400) -> Problem:
    return Problem(status, {"errors": [{"errorCode": code, "message": message}]})


def rupees(amount: Decimal) -> float:
    return float(amount)


def ist(moment: datetime) -> str:
    return moment.astimezone(INDIA).isoformat(timespec="milliseconds")


def parse_time(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad("INVALID_REQUEST", f"{field} is not an ISO time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def signature(app_secret: str, signed_time: str, url: str, method: str = "POST") -> str:
    return hashlib.sha1(f"{signed_time}{url}{method}{app_secret}".encode()).hexdigest()


class FakeFlipkart:
    platform = "flipkart"

    def __init__(self, clock: MovableClock | None = None) -> None:
        self.clock = clock or MovableClock()
        self.app_id = str(uuid.uuid4())
        self.app_secret = str(uuid.uuid4())
        self.notification_url = "https://orderly.example.com/hooks/flipkart/9"
        self.location_id = "LOC" + uuid.uuid4().hex[:24]
        self.locations = {self.location_id}
        self.token_lifetime = TOKEN_LIFETIME
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0
        # Requests a second on the clock before a 429; Flipkart publishes no figure.
        self.burst = 50
        self.rate_limited = 0
        # SKUs whose inventory batch Flipkart refuses whole with a 400 (a bad request).
        self.refuse_whole: set[str] = set()
        self.label_seconds = 8.0
        self.allowed_partners = {"DELHIVERY", "BLUEDART", "DTDC", "ECOM_EXPRESS", "XPRESSBEES"}
        self.listings: dict[str, dict[str, Any]] = {}
        self.inventory: dict[tuple[str, str], int] = {}
        self.shipments: dict[str, dict[str, Any]] = {}
        self.details: dict[str, dict[str, Any]] = {}
        self.cancel_types: dict[str, str] = {}
        self.dispatches: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, str, Any]] = []
        self._wall = utcnow().replace(microsecond=0) - timedelta(days=1)
        self._numbers = itertools.count(4_000_000_000_000_000)
        self._failures: list[int] = []
        self._throttle = 0
        self._recent: list[float] = []
        self._packing: dict[str, float] = {}
        self._pages: dict[str, tuple[list[str], int]] = {}
        self._app = Starlette(
            routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST"])]
        )
        self._routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"oauth-service/oauth/token", self._token),
            ("POST", r"sellers/v3/shipments/filter/?", self._search),
            ("GET", r"sellers/v3/shipments/filter/?", self._next_page),
            ("GET", r"sellers/v3/shipments", self._by_ids),
            ("POST", r"sellers/v3/shipments/labels", self._pack),
            ("POST", r"sellers/v3/shipments/dispatch", self._ready_to_dispatch),
            ("POST", r"sellers/v3/shipments/selfShip/dispatch", self._self_ship),
            ("POST", r"sellers/v3/shipments/cancel", self._cancel),
            ("POST", r"sellers/v3/shipments/([^/]+)/labelOnly/pdf", self._label_pdf),
            ("GET", r"sellers/v3/shipments/([^/]+)/invoices", self._invoice_pdf),
            ("GET", r"sellers/v3/shipments/([^/]+)", self._shipping_details),
            ("POST", r"sellers/listings/v3/search", self._listing_search),
            ("POST", r"sellers/listings/v3/update/inventory", self._update_inventory),
            ("GET", r"sellers/listings/v3/([^/]+)", self._listings_by_sku),
        ]

    # FakeShop

    @property
    def app(self) -> Any:
        return self._app

    @property
    def base_path(self) -> str:
        return ""

    @property
    def credentials(self) -> dict[str, str]:
        return {"app_id": self.app_id, "app_secret": self.app_secret}

    def add_location(self) -> str:
        location = "LOC" + uuid.uuid4().hex[:24]
        self.locations.add(location)
        return location

    def add_product(
        self, sku: str, *, variant: bool = False, gst: int | None = 18, hsn: str = "61091000"
    ) -> None:
        """A listing with its FSN (Flipkart has no variants: each size is a listing)."""
        fsn = uuid.uuid4().hex[:16].upper()
        tax: dict[str, Any] = {"hsn": hsn}
        if gst is not None:
            tax["goods_services_rate"] = gst
        self.listings[sku] = {
            "listing_id": f"LST{fsn}{uuid.uuid4().hex[:6].upper()}",
            "product_id": fsn,
            "listing_status": "ACTIVE",
            "tax": tax,
            "fulfillment_profile": "NON_FBF",
        }

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        currency: str = "INR",
        unit_price: str = "499.00",
        shipping: str = "0",
        flipkart_discount: str = "0",
        payment: str = "PREPAID",
        self_ship: bool = False,
        warehouse: bool = False,
        hold: bool = False,
        dispatch_after: timedelta = timedelta(hours=-1),
        location_id: str | None = None,
    ) -> str:
        """One shipment of one order, to a buyer in Bengaluru; its id."""
        assert currency == "INR", "Flipkart sells in rupees"
        shipment_id = str(uuid.uuid4())
        order_id = f"OD{next(self._numbers)}"
        placed = self._tick()
        items = [
            self._item(sku, quantity, order_id, placed, Decimal(unit_price), payment, warehouse)
            for sku, quantity in lines
        ]
        share_ship = Decimal(shipping) / len(items) if items else Decimal(0)
        share_off = Decimal(flipkart_discount) / len(items) if items else Decimal(0)
        for item in items:
            prices = item["priceComponents"]
            customer = Decimal(str(prices["sellingPrice"])) - share_off
            prices.update(
                shippingCharge=rupees(share_ship),
                flipkartDiscount=rupees(share_off),
                customerPrice=rupees(customer),
                totalPrice=rupees(customer + share_ship),
            )
        now = utcnow()
        self.shipments[shipment_id] = {
            "shipmentId": shipment_id,
            "dispatchByDate": ist(now + timedelta(days=2)),
            "dispatchAfterDate": ist(now + dispatch_after),
            "updatedAt": ist(placed),
            "locationId": location_id or self.location_id,
            "hold": hold,
            "mps": False,
            "packagingPolicy": "DEFAULT",
            "subShipments": [{"subShipmentId": "SS-1", "packages": []}],
            "orderItems": items,
            "forms": [],
            "shipmentType": "SELF" if self_ship else "NORMAL",
        }
        self.details[shipment_id] = self._details(shipment_id, order_id, self_ship)
        return shipment_id

    def _item(
        self,
        sku: str,
        quantity: int,
        order_id: str,
        placed: datetime,
        unit: Decimal,
        payment: str,
        warehouse: bool,
    ) -> dict[str, Any]:
        listing = self.listings.get(sku, {})
        item_id = str(next(self._numbers))
        return {
            "orderItemId": item_id,
            "orderId": order_id,
            "cancellationGroupId": f"grp{item_id}",
            "orderDate": ist(placed),
            "paymentType": payment,
            "status": "APPROVED",
            "quantity": quantity,
            "fsn": listing.get("product_id"),
            "sku": sku,
            "listingId": listing.get("listing_id"),
            "hsn": (listing.get("tax") or {}).get("hsn"),
            "title": f"Product {sku}",
            "packageIds": [],
            "priceComponents": {"sellingPrice": rupees(unit * quantity)},
            "serviceProfile": "FBF" if warehouse else "NON_FBF",
            "is_replacement": False,
        }

    def _details(self, shipment_id: str, order_id: str, self_ship: bool) -> dict[str, Any]:
        address = {
            "firstName": "Asha",
            "lastName": "Rao",
            "addressLine1": "12 MG Road",
            "addressLine2": "Flat 3B",
            "landmark": "Near Trinity Metro",
            "city": "Bengaluru",
            "state": "Karnataka",
            "stateCode": "KA",
            "pinCode": "560001",
        }
        buyer: dict[str, Any] = {"firstName": "Asha", "lastName": "Rao"}
        if self_ship:  # "Buyer contact number and email address ... only for self-ship"
            address["contactNumber"] = "9876543210"
            buyer.update(contactNumber="9876543210", email="asha@example.in")
        return {
            "shipmentId": shipment_id,
            "orderId": order_id,
            "locationId": self.shipments[shipment_id]["locationId"],
            "deliveryAddress": address,
            "billingAddress": dict(address),
            "buyerDetails": buyer,
        }

    def set_status(self, shipment_id: str, status: str) -> None:
        for item in self.shipments[shipment_id]["orderItems"]:
            if item["status"] != "CANCELLED":
                item["status"] = status
        self._touch(shipment_id)

    def cancel_order(self, shipment_id: str, *, kind: str = "buyerCancellation") -> None:
        self.cancel_items(shipment_id, None, kind=kind)

    def cancel_items(self, shipment_id: str, item_ids: list[str] | None, *, kind: str) -> None:
        now = ist(utcnow())
        for item in self.shipments[shipment_id]["orderItems"]:
            if item_ids is None or item["orderItemId"] in item_ids:
                item.update(status="CANCELLED", cancellationDate=now)
                item.update(cancellationReason="cancellation_requested")
        self.cancel_types[shipment_id] = kind
        self._touch(shipment_id)

    def touch(self, shipment_id: str) -> None:
        self._touch(shipment_id)

    def order_webhook(self, shipment_id: str, event: str) -> tuple[dict[str, str], bytes]:
        return self.notification(EVENTS[event], shipment_id)

    def notification(
        self,
        event_type: str,
        shipment_id: str | None = None,
        *,
        url: str | None = None,
        sent_at: datetime | None = None,
        sign_epoch: bool = True,
        app_secret: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """As Flipkart posts it: `X_Date` an HTTP-date, the signature over the same instant in
        Unix seconds (as Flipkart's worked example signs it) or, with `sign_epoch` False, over
        the HTTP-date as its text describes."""
        moment = (sent_at or utcnow()).replace(microsecond=0)
        http_date = format_datetime(moment.astimezone(UTC), usegmt=True)
        signed_time = str(int(moment.timestamp())) if sign_epoch else http_date
        secret = app_secret or self.app_secret
        signed = signature(secret, signed_time, url or self.notification_url)
        token = base64.b64encode(f"{self.app_id}:{signed}".encode()).decode()
        payload: dict[str, Any] = {
            "eventType": event_type,
            "source": "flipkart",
            "version": "v3",
            "timestamp": ist(utcnow()),
            "attributes": {},
        }
        if shipment_id:
            shipment = self.shipments[shipment_id]
            payload.update(shipmentId=shipment_id, locationId=shipment["locationId"])
            payload["attributes"] = {
                "dispatchByDate": shipment["dispatchByDate"],
                "orderItems": [
                    {"orderItemId": i["orderItemId"], "quantity": i["quantity"]}
                    for i in shipment["orderItems"]
                ],
            }
        headers = {"X_Date": http_date, "X_Authorization": f"FKLOGIN {token}"}
        return headers, json.dumps(payload).encode()

    def available(self, sku: str, location: str | None = None) -> int | None:
        return self.inventory.get((sku, location or self.location_id))

    def shipments_of(self, shipment_id: str) -> list[dict[str, Any]]:
        return [
            {"tracking_number": d.get("trackingId"), **d}
            for d in self.dispatches.get(shipment_id, [])
        ]

    def status_of(self, shipment_id: str) -> list[str]:
        self._advance()
        return [i["status"] for i in self.shipments[shipment_id]["orderItems"]]

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def rate_limit_next(self, count: int) -> None:
        self._throttle += count

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def calls(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def sent(self, method: str, path: str) -> list[Any]:
        return [b for m, p, b in self.bodies if m == method and p == path]

    # Plumbing

    def _tick(self) -> datetime:
        self._wall += timedelta(seconds=1)
        return self._wall

    def _touch(self, shipment_id: str) -> None:
        """A change is made now (orders are placed in the past day)."""
        self.shipments[shipment_id]["updatedAt"] = ist(utcnow())

    def _advance(self) -> None:
        """Labels Flipkart has finished making move their shipments to PACKED."""
        for shipment_id, ready_at in list(self._packing.items()):
            if self.clock.now() >= ready_at:
                del self._packing[shipment_id]
                self.set_status(shipment_id, "PACKED")

    def _status(self, shipment: dict[str, Any]) -> str:
        live = [i["status"] for i in shipment["orderItems"] if i["status"] != "CANCELLED"]
        return min(live, key=PROGRESS.index) if live else "CANCELLED"

    def _throttled(self) -> bool:
        now = self.clock.now()
        self._recent = [t for t in self._recent if t > now - 1.0]
        if self._throttle > 0 or len(self._recent) >= self.burst:
            self._throttle = max(self._throttle - 1, 0)
            self.rate_limited += 1
            return True
        self._recent.append(now)
        return False

    async def _dispatch(self, request: Request) -> Response:
        path = request.path_params["path"].rstrip("/")
        self.requests.append((request.method, "/" + path))
        self._advance()
        try:
            if self._failures:
                status = self._failures.pop(0)
                raise Problem(status, {"errors": [{"errorCode": "INTERNAL", "message": "oops"}]})
            if self._throttled():
                body = {"errors": [{"errorCode": "TOO_MANY_REQUESTS", "message": "Slow down"}]}
                raise Problem(429, body, {"Retry-After": "1"})
            if path != "oauth-service/oauth/token":
                self._authorize(request)
            return await self._route(request, path)
        except Problem as problem:
            return JSONResponse(problem.body, problem.status, headers=problem.headers)

    def _authorize(self, request: Request) -> None:
        given = request.headers.get("authorization", "")
        token = given[len("Bearer ") :] if given.startswith("Bearer ") else ""
        expires = self.tokens.get(token)
        if expires is None:
            raise Problem(401, {"error": "invalid_token", "error_description": "Invalid token"})
        if self.clock.now() >= expires:
            detail = f"Access token expired: {token}"
            raise Problem(401, {"error": "invalid_token", "error_description": detail})

    async def _route(self, request: Request, path: str) -> Response:
        for method, pattern, handler in self._routes:
            match = re.fullmatch(pattern, path)
            if not match or method != request.method:
                continue
            args: list[Any] = list(match.groups())
            if method == "POST":
                try:
                    body = json.loads(await request.body() or b"null")
                except ValueError:
                    raise bad("INVALID_REQUEST_JSON", "The body is not JSON") from None
                self.bodies.append((method, "/" + path, body))
                args.append(body)
            result = handler(request, *args)
            return result if isinstance(result, Response) else JSONResponse(result)
        raise bad("NOT_FOUND", f"No resource {path}", 404)

    # OAuth

    def _token(self, request: Request) -> Any:
        given = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{self.app_id}:{self.app_secret}".encode()).decode()
        if given != f"Basic {expected}":
            body = {"error": "unauthorized", "error_description": "Bad credentials"}
            raise Problem(401, body)
        query = request.query_params
        if query.get("grant_type") != "client_credentials":
            raise Problem(400, {"error": "unsupported_grant_type"})
        if "Seller_Api" not in (query.get("scope") or "").split(","):
            raise Problem(400, {"error": "invalid_scope", "error_description": "Seller_Api"})
        token = str(uuid.uuid4())
        self.tokens[token] = self.clock.now() + self.token_lifetime
        self.tokens_issued += 1
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
            "scope": "Seller_Api",
        }

    # Orders

    def _search(self, request: Request, body: Any) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("filter"), dict):
            raise bad("INVALID_REQUEST", "filter is required")
        wanted = body["filter"]
        kind, states = wanted.get("type"), wanted.get("states")
        allowed = {"preDispatch": PRE, "postDispatch": POST, "cancelled": ["CANCELLED"]}
        if kind not in allowed:
            raise bad("INVALID_FILTER_TYPE", f"Unknown filter type {kind!r}")
        if not isinstance(states, list) or not states or set(states) - set(allowed[kind]):
            raise bad("INVALID_STATES", f"states {states!r} do not fit type {kind}")
        if kind == "cancelled" and wanted.get("cancellationType") not in CANCEL_TYPES:
            raise bad("INVALID_REQUEST", "cancellationType is mandatory for cancelled")
        size = (body.get("pagination") or {}).get("pageSize", PAGE_MAX)
        if not isinstance(size, int) or not 1 <= size <= PAGE_MAX:
            raise bad("INVALID_PAGE_SIZE", f"pageSize must be 1 to {PAGE_MAX}")
        sort = body.get("sort") or {}
        if sort and (
            sort.get("field") not in SORT_FIELDS or sort.get("order") not in ("asc", "desc")
        ):
            raise bad("INVALID_SORT", "Unknown sort")
        rows = [s for s in self.shipments.values() if self._matches(s, wanted)]
        rows.sort(key=lambda s: (parse_time(s["updatedAt"], "updatedAt"), s["shipmentId"]))
        if sort.get("order") == "desc":
            rows.reverse()
        return self._page([s["shipmentId"] for s in rows], 0, size)

    def _matches(self, shipment: dict[str, Any], wanted: dict[str, Any]) -> bool:
        status = self._status(shipment)
        if status not in wanted["states"]:
            return False
        if wanted["type"] == "preDispatch" and bool(wanted.get("hold", False)) != shipment["hold"]:
            return False
        warehouse = any(i["serviceProfile"] == "FBF" for i in shipment["orderItems"])
        if warehouse and "FBF" not in (wanted.get("serviceProfiles") or ["NON_FBF"]):
            return False
        if wanted.get("locationId") and wanted["locationId"] != shipment["locationId"]:
            return False
        kind = wanted.get("cancellationType")
        if wanted["type"] == "cancelled" and self.cancel_types.get(shipment["shipmentId"]) != kind:
            return False
        for field, value in (
            ("modifiedDate", shipment["updatedAt"]),
            (
                "cancellationDate",
                max((i.get("cancellationDate") or "" for i in shipment["orderItems"]), default=""),
            ),
        ):
            span = wanted.get(field)
            if span is None:
                continue
            if not value:
                return False
            moment = parse_time(value, field)
            if span.get("from") and moment < parse_time(span["from"], f"{field}.from"):
                return False
            if span.get("to") and moment > parse_time(span["to"], f"{field}.to"):
                return False
        return True

    def _page(self, ids: list[str], offset: int, size: int) -> dict[str, Any]:
        chunk = ids[offset : offset + size]
        more = offset + size < len(ids)
        answer: dict[str, Any] = {
            "hasMore": more,
            "shipments": [self.shipments[i] for i in chunk],
        }
        if more:
            token = uuid.uuid4().hex
            self._pages[token] = (ids, offset + size)
            answer["nextPageUrl"] = f"/v3/shipments/filter?next_token={token}&size={size}"
        return answer

    def _next_page(self, request: Request) -> Any:
        token = request.query_params.get("next_token", "")
        if token not in self._pages:
            raise bad("INVALID_NEXT_TOKEN", "next_token is unknown or expired")
        ids, offset = self._pages.pop(token)
        return self._page(ids, offset, int(request.query_params.get("size", PAGE_MAX)))

    def _ids(self, text: str, most: int) -> list[str]:
        ids = [i for i in text.split(",") if i]
        if not ids or len(ids) > most:
            raise bad("INVALID_SHIPMENTS", f"1 to {most} shipment ids")
        return ids

    def _by_ids(self, request: Request) -> Any:
        given = [
            k for k in ("shipmentIds", "orderItemIds", "orderIds") if request.query_params.get(k)
        ]
        if given != ["shipmentIds"]:
            raise bad("INVALID_REQUEST", "exactly one of shipmentIds, orderItemIds, orderIds")
        ids = self._ids(request.query_params["shipmentIds"], SHIPMENT_IDS_MAX)
        return {"shipments": [self.shipments[i] for i in ids if i in self.shipments]}

    def _shipping_details(self, request: Request, ids: str) -> Any:
        found = self._ids(ids, SHIPMENT_IDS_MAX)
        return {"shipments": [self.details[i] for i in found if i in self.details]}

    # Fulfilment

    def _results(self, body: Any, key: str, most: int) -> list[Any]:
        rows = body.get(key) if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows or len(rows) > most:
            raise bad("INVALID_REQUEST", f"{key}: 1 to {most}")
        return rows

    def _outcome(self, shipment_id: Any, error: tuple[str, str] | None) -> dict[str, Any]:
        if error is None:
            return {"shipmentId": shipment_id, "status": "SUCCESS"}
        code, message = error
        return {
            "shipmentId": shipment_id,
            "status": "FAILURE",
            "errorCode": code,
            "errorMessage": message,
        }

    def _pack(self, request: Request, body: Any) -> Any:
        return {
            "shipments": [
                self._outcome(r.get("shipmentId"), self._pack_one(r))
                for r in self._results(body, "shipments", PACK_MAX)
            ]
        }

    def _pack_one(self, row: dict[str, Any]) -> tuple[str, str] | None:
        shipment = self.shipments.get(str(row.get("shipmentId")))
        if shipment is None:
            return "INVALID_SHIPMENTS", "No such shipment"
        if row.get("locationId") != shipment["locationId"]:
            return "INVALID_LOCATION", "locationId is mandatory and must be the shipment's"
        if shipment["shipmentType"] == "SELF" or shipment["hold"]:
            return "OPERATION_NOT_ALLOWED", "Self-ship or held shipments are not packed here"
        if self._status(shipment) != "APPROVED":
            return "INVALID_ITEM_STATE", "Shipment is not ready to be packed"
        live = {i["orderItemId"]: i for i in shipment["orderItems"] if i["status"] != "CANCELLED"}
        taxes = {t.get("orderItemId"): t for t in row.get("taxItems") or []}
        if set(taxes) != set(live) or any(
            not isinstance(t.get("taxRate"), (int, float))
            or not 0 <= t["taxRate"] <= 100
            or t.get("quantity") != live[k]["quantity"]
            for k, t in taxes.items()
        ):
            return "INVALID_REQUEST_TAX", "Every item needs its taxRate (0-100) and quantity"
        invoices = row.get("invoices") or []
        today = utcnow().astimezone(INDIA).date()
        try:
            dates = [date.fromisoformat(str(i.get("invoiceDate"))) for i in invoices]
        except ValueError:
            return "INVALID_REQUEST_DATE_FORMAT", "invoiceDate must be YYYY-MM-DD"
        if not dates or any(d > today for d in dates):
            return "INVALID_REQUEST_DATE_FORMAT", "invoiceDate must be given and not in the future"
        self.set_status(shipment["shipmentId"], "PACKING_IN_PROGRESS")
        self._packing[shipment["shipmentId"]] = self.clock.now() + self.label_seconds
        return None

    def _label_pdf(self, request: Request, ids: str, body: Any) -> Response:
        found = self._ids(ids, LABEL_PDF_MAX)
        for shipment_id in found:
            shipment = self.shipments.get(shipment_id)
            if shipment is None:
                raise bad("INVALID_SHIPMENTS", f"Invalid shipment {shipment_id}")
            if self._status(shipment) not in PROGRESS[PROGRESS.index("PACKED") :]:
                raise bad("DEPENDENT_SYSTEM_CALL_FAILED", f"No label for {shipment_id} yet")
        return Response(PDF, media_type="application/pdf")

    def _invoice_pdf(self, request: Request, ids: str) -> Response:
        return self._label_pdf(request, ids, None)

    def _ready_to_dispatch(self, request: Request, body: Any) -> Any:
        ids = self._results(body, "shipmentIds", DISPATCH_MAX)
        outcomes = []
        for shipment_id in ids:
            shipment = self.shipments.get(str(shipment_id))
            error = None
            if shipment is None:
                error = ("INVALID_SHIPMENTS", "No such shipment")
            elif self._status(shipment) != "PACKED":
                error = ("INVALID_SHIPMENT_STATE", "Only PACKED shipments can be marked RTD")
            elif body.get("locationId") not in (None, shipment["locationId"]):
                error = ("INVALID_LOCATION", "Another location's shipment")
            else:
                self.set_status(str(shipment_id), "READY_TO_DISPATCH")
                self.dispatches.setdefault(str(shipment_id), []).append({"kind": "rtd"})
            outcomes.append(self._outcome(shipment_id, error))
        return {"shipments": outcomes}

    def _self_ship(self, request: Request, body: Any) -> Any:
        rows = self._results(body, "shipments", SELF_SHIP_MAX)
        for row in rows:
            for field in ("tentativeDeliveryDate", "dispatchDate", "invoice"):
                if not row.get(field):
                    raise bad("INVALID_REQUEST", f"{field} is mandatory")
        return {"shipments": [self._self_ship_one(row) for row in rows]}

    def _self_ship_one(self, row: dict[str, Any]) -> dict[str, Any]:
        shipment_id = str(row.get("shipmentId"))
        shipment = self.shipments.get(shipment_id)
        today = utcnow().astimezone(INDIA).date()
        error: tuple[str, str] | None = None
        if shipment is None:
            error = ("INVALID_SHIPMENTS", "No such shipment")
        elif shipment["shipmentType"] != "SELF":
            error = ("NOT_SELF_SHIP", "Flipkart's logistics carry this shipment")
        elif self._status(shipment) != "APPROVED":
            error = ("INVALID_SHIPMENT_STATE", "Only APPROVED shipments can be dispatched")
        elif parse_time(row["dispatchDate"], "dispatchDate").astimezone(INDIA).date() > today:
            error = ("INVALID_DISPATCH_DATE", "Dispatch Date should not be after today")
        elif parse_time(row["tentativeDeliveryDate"], "t").astimezone(INDIA).date() < today:
            error = ("INVALID_DELIVERY_DATE", "Tentative Delivery Date should not be before today")
        elif row.get("deliveryPartnerCode") not in self.allowed_partners:
            error = ("INVALID_DELIVERY_PARTNER", f"{row.get('deliveryPartnerCode')} not allowed")
        elif not (row["invoice"].get("invoiceDate") and row["invoice"].get("items")):
            error = ("INVALID_INVOICE", "invoiceDate and items are mandatory")
        if error is None:
            self.set_status(shipment_id, "SHIPPED")
            self.dispatches.setdefault(shipment_id, []).append({"kind": "self", **row})
            return {"shipmentId": shipment_id, "processingStatus": "SUCCESS"}
        code, message = error
        return {
            "shipmentId": shipment_id,
            "processingStatus": "FAILURE",
            "errorCode": code,
            "errorMessage": message,
        }

    def _cancel(self, request: Request, body: Any) -> Any:
        outcomes = []
        for row in self._results(body, "shipments", CANCEL_MAX):
            shipment = self.shipments.get(str(row.get("shipmentId")))
            error = None
            if shipment is None:
                error = ("INVALID_SHIPMENTS", "No such shipment")
            elif row.get("reason") not in CANCEL_REASONS:
                error = ("EMPTY_OR_INVALID_REASON_FOR_CANCELLATION", "Reason is empty or invalid")
            elif row.get("locationId") != shipment["locationId"]:
                error = ("INVALID_LOCATION", "locationId is mandatory")
            elif self._status(shipment) not in ("APPROVED", "FORM_FAILED"):
                error = ("INVALID_SHIPMENT_STATE", "Only shipments not yet packed can be cancelled")
            else:
                groups = set(row.get("cancellationGroupIds") or [])
                items = [
                    i["orderItemId"]
                    for i in shipment["orderItems"]
                    if i["cancellationGroupId"] in groups
                ]
                if not items:
                    error = ("INVALID_CANCELLATION_GROUP", "cancellationGroupIds are mandatory")
                else:
                    self.cancel_items(shipment["shipmentId"], items, kind="sellerCancellation")
            outcomes.append(self._outcome(row.get("shipmentId"), error))
        return {"shipments": outcomes}

    # Listings

    def _listing_search(self, request: Request, body: Any) -> Any:
        page_id = (body or {}).get("page_id")
        skus = sorted(self.listings)
        offset = int(page_id) if page_id else 0
        chunk = skus[offset : offset + LISTING_PAGE]
        more = offset + LISTING_PAGE < len(skus)
        return {
            "has_more": more,
            "next_page_id": str(offset + LISTING_PAGE) if more else None,
            "listings": [
                {
                    "listing_id": self.listings[s]["listing_id"],
                    "product_id": self.listings[s]["product_id"],
                    "sku_id": s,
                }
                for s in chunk
            ],
        }

    def _listings_by_sku(self, request: Request, skus: str) -> Any:
        wanted = [s for s in skus.split(",") if s]
        available = {}
        for sku in wanted:
            if sku in self.listings:
                listing = self.listings[sku]
                locations = [
                    {"id": loc, "status": "ENABLED", "inventory": count}
                    for (s, loc), count in self.inventory.items()
                    if s == sku
                ]
                available[sku] = {**listing, "locations": locations}
        return {
            "available": available,
            "unavailable": [s for s in wanted if s not in available],
            "invalid": [],
        }

    def _update_inventory(self, request: Request, body: Any) -> Any:
        if not isinstance(body, dict) or not body:
            raise bad("INVALID_REQUEST", "A map of SKU to inventory is required")
        if len(body) > INVENTORY_SKUS_MAX:
            raise bad("LIMIT_EXCEEDED", f"At most {INVENTORY_SKUS_MAX} SKUs a request")
        if self.refuse_whole & set(body):
            raise bad("INVALID_REQUEST", "The request could not be processed")
        for sku, change in body.items():
            if (
                not isinstance(change, dict)
                or not change.get("product_id")
                or not isinstance(change.get("locations"), list)
            ):
                raise bad("INVALID_REQUEST", f"{sku}: product_id and locations are required")
        return {sku: self._inventory_one(sku, change) for sku, change in body.items()}

    def _inventory_one(self, sku: str, change: dict[str, Any]) -> dict[str, Any]:
        def failure(code: int, description: str) -> dict[str, Any]:
            error = {"severity": "ERROR", "code": code, "description": description}
            return {"status": "FAILURE", "errors": [error], "attribute_errors": []}

        listing = self.listings.get(sku)
        if listing is None:
            return failure(1001, f"Listing not found for sku {sku}")
        if change["product_id"] != listing["product_id"]:
            return failure(1002, f"product_id does not match the listing of {sku}")
        for location in change["locations"]:
            if location.get("id") not in self.locations:
                return failure(1003, f"Unknown location {location.get('id')}")
            if location.get("status") not in ("ENABLED", "DISABLED"):
                return failure(1004, "status must be ENABLED or DISABLED")
            count = location.get("inventory")
            if not isinstance(count, int) or count < 0:
                return failure(1005, "inventory must be a whole number of 0 or more")
        for location in change["locations"]:
            self.inventory[(sku, location["id"])] = location["inventory"]
        return {"status": "SUCCESS", "errors": [], "attribute_errors": []}
