"""A fake Amazon seller account behind the Selling Partner API, after Amazon's published models
(amzn/selling-partner-api-models: `ordersV0.json`, `tokens_2021-03-01.json`,
`listingsItems_2021-08-01.json`) and its developer documentation: the Login with Amazon
refresh-token grant, access tokens and Restricted Data Tokens that expire on the clock, each
operation's usage plan as a token bucket on the clock (429 QuotaExceeded past it), getOrders,
getOrder, getOrderItems, confirmShipment, searchListingsItems and patchListingsItem.

It is one vendor's fake and longer than the house's 400 lines for that reason: the API's five
areas share its accounts, tokens and buckets. Where Amazon's documents are silent it takes the
strict side and says so: an order's buyer and address come only under an RDT for that path;
an RDT for an application without the restricted roles is a 403; a patch of a SKU the seller
does not have is a 200 INVALID with an ERROR issue (code "90220"); getOrders answers in order
of purchase, not of update."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderly.kit.clock import utcnow
from tests.clock import MovableClock

LWA_HOST = "api.amazon.com"
US = "ATVPDKIKX0DER"
USAGE = {  # operation: (rate per second, burst), Amazon's documented defaults
    "getOrders": (0.0167, 20),
    "getOrder": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "createRestrictedDataToken": (1.0, 10),
    "searchListingsItems": (5.0, 5),
    "patchListingsItem": (5.0, 5),
}
STATUSES = {
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
}
PII_ELEMENTS = {"buyerInfo", "shippingAddress", "buyerTaxInformation"}
RESTRICTED_ADDRESS = ("Name", "AddressLine1", "AddressLine2", "AddressLine3", "Phone")
ORDERS_PAGE_MAX = 100
LISTINGS_PAGE_MAX = 20
SETTLE = timedelta(minutes=2)
DENIED = "Access to requested resource is denied."


class Problem(Exception):
    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        self.status = status
        self.body = {"errors": [{"code": code, "message": message, "details": details}]}


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Problem(400, "InvalidInput", f"{name} is not an ISO 8601 date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def digits(currency: str) -> int:
    return 0 if currency == "JPY" else 2


def money(amount: Decimal, currency: str) -> dict[str, str]:
    places = Decimal(1).scaleb(-digits(currency))
    return {"CurrencyCode": currency, "Amount": str(amount.quantize(places, ROUND_HALF_UP))}


class FakeAmazon:
    platform = "amazon"

    def __init__(self, clock: MovableClock | None = None) -> None:
        self.clock = clock or MovableClock()
        self.client_id = "amzn1.application-oa2-client." + uuid.uuid4().hex
        self.client_secret = "amzn1.oa2-cs.v1." + uuid.uuid4().hex
        self.refresh_token = "Atzr|" + uuid.uuid4().hex
        self.seller_id = "A" + uuid.uuid4().hex[:12].upper()
        self.marketplace_id = US
        self.pii_roles = True  # False: the application lacks the restricted roles
        # True: each grant hands back a new refresh token and the old one stops working
        # (Login with Amazon documents that it may return one; the SP-API keeps its own).
        self.rotate_refresh_tokens = False
        self.token_lifetime = 3600.0
        self.grants = 0  # access tokens handed out
        self.rdt_grants = 0
        self.rate_limited = 0
        self.items_per_page = 100
        self.search_cap = 1000
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, str, Any]] = []
        self.params: list[tuple[str, dict[str, str]]] = []
        self.tokens_used: list[tuple[str, str]] = []  # (path, "lwa" | "rdt")
        self.orders: dict[str, dict[str, Any]] = {}
        self.items: dict[str, list[dict[str, Any]]] = {}
        self.listings: dict[str, dict[str, Any]] = {}
        self.packages: dict[str, dict[str, dict[str, Any]]] = {}
        self.usage = dict(USAGE)
        self._access: dict[str, float] = {}
        self._rdts: dict[str, tuple[float, set[tuple[str, str]]]] = {}
        self._buckets: dict[str, list[float]] = {}
        self._failures: list[int] = []
        self._pages: dict[str, tuple[str, int]] = {}
        self._ids = itertools.count(1000001)
        self._wall = utcnow().replace(microsecond=0) - timedelta(days=1)
        self._app = Starlette(
            routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST", "PATCH"])]
        )

    # FakeShop

    @property
    def app(self) -> Any:
        return self._app

    @property
    def base_path(self) -> str:
        return ""

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
        }

    @property
    def settings(self) -> dict[str, str]:
        return {"seller_id": self.seller_id, "marketplace_id": self.marketplace_id}

    def now(self) -> datetime:
        """Amazon's wall clock: each change moves it a second, `settle` a few minutes."""
        return self._wall

    def settle(self) -> None:
        """Time passes: every change so far is older than the two minutes getOrders needs."""
        self._wall += timedelta(minutes=3)

    def _tick(self, seconds: int = 1) -> datetime:
        self._wall += timedelta(seconds=seconds)
        return self._wall

    def add_product(self, sku: str, *, variant: bool = False) -> None:
        """A listing of the SKU in the marketplace (`variant` is a plain SKU on Amazon too)."""
        self.listings[sku] = {
            "sku": sku,
            "asin": "B0" + uuid.uuid4().hex[:8].upper(),
            "productType": "HOME",
            "createdDate": stamp(self._tick()),
            "quantity": {},
            "refuse": None,
        }

    def refuse_listing(self, sku: str, message: str) -> None:
        """Amazon finds an ERROR on this listing: a patch of it is INVALID."""
        self.listings[sku]["refuse"] = message

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        currency: str = "USD",
        unit_price: str = "10.00",
        tax_rate: str = "0",
        promotion: str = "0",
        shipping: str = "0",
        status: str = "Unshipped",
        channel: str = "MFN",
        buyer_cancel: str | None = None,
    ) -> str:
        """A seller-fulfilled order paid on Amazon, to one US address; the keywords make the
        others. The shipping and the promotion fall on the first item."""
        order_id = f"11{next(self._ids) % 10}-{next(self._ids):07d}-{next(self._ids):07d}"
        placed = self._tick()
        rate, price = Decimal(tax_rate), Decimal(unit_price)
        items, total = [], Decimal(0)
        for n, (sku, quantity) in enumerate(lines):
            gross = price * quantity
            promo = Decimal(promotion) if n == 0 else Decimal(0)
            ship = Decimal(shipping) if n == 0 else Decimal(0)
            amounts = {
                "ItemPrice": gross,
                "ItemTax": gross * rate,
                "PromotionDiscount": promo,
                "PromotionDiscountTax": promo * rate,
                "ShippingPrice": ship,
                "ShippingTax": ship * rate,
                "ShippingDiscount": Decimal(0),
                "ShippingDiscountTax": Decimal(0),
            }
            rounded = {k: Decimal(money(v, currency)["Amount"]) for k, v in amounts.items()}
            item: dict[str, Any] = {
                "ASIN": self.listings.get(sku, {}).get("asin", "B0UNKNOWN0"),
                "SellerSKU": sku,
                "OrderItemId": f"{next(self._ids):014d}",
                "Title": f"Product {sku}",
                "QuantityOrdered": quantity,
                "QuantityShipped": 0,
                "IsGift": "false",
                **{k: money(v, currency) for k, v in rounded.items()},
            }
            if buyer_cancel and n == 0:
                item["BuyerRequestedCancel"] = {
                    "IsBuyerRequestedCancel": "true",
                    "BuyerCancelReason": buyer_cancel,
                }
            items.append(item)
            total += (
                rounded["ItemPrice"]
                + rounded["ItemTax"]
                - rounded["PromotionDiscount"]
                - rounded["PromotionDiscountTax"]
                + rounded["ShippingPrice"]
                + rounded["ShippingTax"]
            )
        order: dict[str, Any] = {
            "AmazonOrderId": order_id,
            "PurchaseDate": stamp(placed),
            "LastUpdateDate": stamp(placed),
            "OrderStatus": status,
            "FulfillmentChannel": channel,
            "SalesChannel": "Amazon.com",
            "OrderTotal": money(total, currency),
            "NumberOfItemsShipped": 0,
            "NumberOfItemsUnshipped": sum(q for _, q in lines),
            "PaymentMethod": "Other",
            "MarketplaceId": self.marketplace_id,
            "OrderType": "StandardOrder",
            "IsPrime": False,
            "IsBusinessOrder": False,
            "ShipmentServiceLevelCategory": "Standard",
            "BuyerInfo": {"BuyerEmail": "x7pk3@marketplace.amazon.com", "BuyerName": "Jane Doe"},
            "ShippingAddress": {
                "Name": "Jane Doe",
                "AddressLine1": "410 Terry Ave N",
                "AddressLine2": "Apt 2",
                "City": "Seattle",
                "StateOrRegion": "WA",
                "PostalCode": "98109-5210",
                "CountryCode": "US",
                "Phone": "+1 206-555-0100",
                "AddressType": "Residential",
            },
        }
        if channel == "MFN":
            order["EarliestShipDate"] = stamp(placed + timedelta(hours=1))
            order["LatestShipDate"] = stamp(placed + timedelta(days=2))
        self.orders[order_id], self.items[order_id] = order, items
        return order_id

    def set_status(self, order_id: str, status: str) -> None:
        self.orders[order_id]["OrderStatus"] = status
        self.touch(order_id)

    def cancel_order(self, platform_order_id: str) -> None:
        self.set_status(platform_order_id, "Canceled")
        for item in self.items[platform_order_id]:
            item["QuantityOrdered"] = 0

    def touch(self, order_id: str) -> None:
        self.orders[order_id]["LastUpdateDate"] = stamp(self._tick())

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        raise NotImplementedError("amazon sends notifications to SQS or EventBridge only")

    def available(self, sku: str, location: str | None = None) -> int | None:
        listing = self.listings.get(sku)
        return None if listing is None else listing["quantity"].get(location or "DEFAULT")

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        return [
            {**package, "tracking_number": package["trackingNumber"]}
            for package in self.packages.get(platform_order_id, {}).values()
        ]

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def spend(self, operation: str, tokens: float) -> None:
        """Another process of the same application draws on the seller's bucket."""
        bucket = self._bucket(operation)
        bucket[0] -= tokens

    def expire_tokens(self) -> None:
        """Every access token and RDT handed out stops working before its announced hour."""
        now = self.clock.now()
        self._access = {t: now for t in self._access}
        self._rdts = {t: (now, r) for t, (_, r) in self._rdts.items()}

    def calls(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def sent(self, method: str, path: str) -> list[Any]:
        return [b for m, p, b in self.bodies if m == method and p == path]

    def queries(self, path: str) -> list[dict[str, str]]:
        return [q for p, q in self.params if p == path]

    # Plumbing

    def _bucket(self, operation: str) -> list[float]:
        rate, burst = self.usage[operation]
        now = self.clock.now()
        bucket = self._buckets.setdefault(operation, [float(burst), now])
        bucket[0] = min(float(burst), bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        return bucket

    def _operation(self, method: str, parts: list[str]) -> str | None:
        shape = (method, len(parts), parts[0] if parts else "")
        if shape == ("POST", 3, "tokens") and parts[2] == "restrictedDataToken":
            return "createRestrictedDataToken"
        if parts[:2] == ["orders", "v0"] and parts[2:3] == ["orders"]:
            tail = parts[4:]
            return {
                ("GET", 3, ()): "getOrders",
                ("GET", 4, ()): "getOrder",
                ("GET", 5, ("orderItems",)): "getOrderItems",
                ("POST", 5, ("shipmentConfirmation",)): "confirmShipment",
            }.get((method, len(parts), tuple(tail)))
        if parts[:3] == ["listings", "2021-08-01", "items"]:
            return {("GET", 4): "searchListingsItems", ("PATCH", 5): "patchListingsItem"}.get(
                (method, len(parts))
            )
        return None

    async def _dispatch(self, request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode().split("?")[0]
        if request.url.hostname == LWA_HOST:
            return await self._lwa(request, path)
        self.requests.append((request.method, unquote(path)))
        if self._failures:
            status = self._failures.pop(0)
            return JSONResponse(
                Problem(status, "InternalFailure", "We encountered an internal error.").body,
                status_code=status,
            )
        parts = [unquote(p) for p in path.strip("/").split("/")]
        operation = self._operation(request.method, parts)
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        try:
            if operation is None:
                raise Problem(404, "NotFound", "Resource not found.")
            restricted = self._authorize(request, unquote(path))
            bucket = self._bucket(operation)
            if bucket[0] < 1 - 1e-9:  # a caller that waited exactly is not refused
                self.rate_limited += 1
                detail = "You exceeded your quota for the requested resource."
                raise Problem(429, "QuotaExceeded", detail)
            bucket[0] -= 1
            query = {k: v[-1] for k, v in parse_qs(request.url.query).items()}
            self.params.append((unquote(path), query))
            body = None
            if request.method in ("POST", "PATCH"):
                body = self._json_body(await request.body(), request)
                self.bodies.append((request.method, unquote(path), body))
            result = self._route(operation, parts, query, body, restricted)
        except Problem as problem:
            return JSONResponse(problem.body, status_code=problem.status, headers=headers)
        headers["x-amzn-RateLimit-Limit"] = str(self.usage[operation][0])
        if result is None:
            return Response(status_code=204, headers=headers)
        return JSONResponse(result, headers=headers)

    def _json_body(self, raw: bytes, request: Request) -> Any:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            raise Problem(415, "UnsupportedMediaType", "The request payload must be JSON.")
        try:
            return json.loads(raw)
        except ValueError:
            raise Problem(400, "InvalidInput", "The body is not JSON.") from None

    def _authorize(self, request: Request, path: str) -> bool:
        """True when the call carries an RDT for this path (the buyer's details may show)."""
        token = request.headers.get("x-amz-access-token")
        if not token:
            raise Problem(403, "Unauthorized", DENIED, "")
        now = self.clock.now()
        if token in self._rdts:
            expires, resources = self._rdts[token]
            if now >= expires:
                raise Problem(
                    403, "Unauthorized", DENIED, "The access token you provided has expired."
                )
            if (request.method, path) not in resources:
                raise Problem(403, "Unauthorized", DENIED, "The RDT does not cover this resource.")
            self.tokens_used.append((path, "rdt"))
            return True
        if token not in self._access:
            raise Problem(
                403,
                "Unauthorized",
                DENIED,
                "The access token you provided is revoked, malformed or invalid.",
            )
        if now >= self._access[token]:
            raise Problem(403, "Unauthorized", DENIED, "The access token you provided has expired.")
        self.tokens_used.append((path, "lwa"))
        return False

    async def _lwa(self, request: Request, path: str) -> Response:
        """Login with Amazon's token endpoint: OAuth 2.0 errors (RFC 6749, 5.2)."""

        def refused(status: int, error: str, description: str = "") -> Response:
            body = {"error": error, "error_description": description}
            return JSONResponse(body, status_code=status)

        if request.method != "POST" or path != "/auth/o2/token":
            return refused(404, "invalid_request", "no such endpoint")
        kind = request.headers.get("content-type", "").split(";")[0]
        if kind != "application/x-www-form-urlencoded":
            return refused(400, "invalid_request", "a form is expected")
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "refresh_token":
            return refused(400, "unsupported_grant_type")
        client = (form.get("client_id"), form.get("client_secret"))
        if client != (self.client_id, self.client_secret):
            return refused(401, "invalid_client", "Client authentication failed")
        if form.get("refresh_token") != self.refresh_token:
            detail = "The request has an invalid grant parameter : refresh_token"
            return refused(400, "invalid_grant", detail)
        if self.rotate_refresh_tokens:
            self.refresh_token = "Atzr|" + uuid.uuid4().hex
        token = "Atza|" + uuid.uuid4().hex
        self._access[token] = self.clock.now() + self.token_lifetime
        self.grants += 1
        granted = {
            "access_token": token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": int(self.token_lifetime),
        }
        return JSONResponse(granted)

    def _route(
        self, operation: str, parts: list[str], query: dict[str, str], body: Any, restricted: bool
    ) -> Any:
        if operation == "createRestrictedDataToken":
            return self._restricted_data_token(body)
        if operation == "getOrders":
            return self._get_orders(query, restricted)
        if operation == "getOrder":
            return {"payload": self._shown(self._order(parts[3]), restricted)}
        if operation == "getOrderItems":
            return self._get_order_items(parts[3], query)
        if operation == "confirmShipment":
            return self._confirm_shipment(parts[3], body)
        self._check_seller(parts[3], query)
        if operation == "searchListingsItems":
            return self._search_listings(query)
        return self._patch_listing(parts[4], body)

    def _restricted_data_token(self, body: Any) -> Any:
        resources = body.get("restrictedResources") if isinstance(body, dict) else None
        if not isinstance(resources, list) or not resources or len(resources) > 50:
            raise Problem(400, "InvalidInput", "restrictedResources must hold 1 to 50 resources.")
        granted: set[tuple[str, str]] = set()
        for resource in resources:
            method, path = resource.get("method"), str(resource.get("path") or "")
            elements = set(resource.get("dataElements") or [])
            parts = path.strip("/").split("/")
            if method != "GET" or parts[:3] != ["orders", "v0", "orders"] or len(parts) > 4:
                raise Problem(400, "InvalidInput", f"{method} {path} is not a restricted resource.")
            if len(parts) == 4 and parts[3] not in self.orders:
                raise Problem(400, "InvalidInput", f"Order {parts[3]} is not found.")
            if not elements or not elements <= PII_ELEMENTS:
                raise Problem(400, "InvalidInput", "dataElements are required for the Orders API.")
            granted.add((method, path))
        if not self.pii_roles:
            detail = "Application does not have access to one or more requested data elements."
            raise Problem(403, "Unauthorized", DENIED, detail)
        token = "Atz.sprdt|" + uuid.uuid4().hex
        self._rdts[token] = (self.clock.now() + 3600, granted)
        self.rdt_grants += 1
        return {"restrictedDataToken": token, "expiresIn": 3600}

    def _order(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.orders:
            raise Problem(404, "NotFound", f"Order {order_id} not found.")
        return self.orders[order_id]

    def _shown(self, order: dict[str, Any], restricted: bool) -> dict[str, Any]:
        """The order as the caller may see it: Pending orders and callers without an RDT get
        no buyer and only the address's city, region, postal code and country."""
        shown = dict(order)
        pending = order["OrderStatus"] in ("Pending", "PendingAvailability")
        if not restricted or pending:
            shown.pop("BuyerInfo", None)
            address = {
                k: v for k, v in order["ShippingAddress"].items() if k not in RESTRICTED_ADDRESS
            }
            shown["ShippingAddress"] = address
        if pending:
            shown.pop("ShippingAddress", None)
        return shown

    def _get_orders(self, query: dict[str, str], restricted: bool) -> Any:
        marketplaces = [m for m in query.get("MarketplaceIds", "").split(",") if m]
        if not marketplaces or len(marketplaces) > 50:
            raise Problem(400, "InvalidInput", "MarketplaceIds must hold 1 to 50 marketplaces.")
        if self.marketplace_id not in marketplaces:
            raise Problem(400, "InvalidInput", "The seller does not sell in these marketplaces.")
        after = parse_time(query.get("LastUpdatedAfter"), "LastUpdatedAfter")
        before = parse_time(query.get("LastUpdatedBefore"), "LastUpdatedBefore")
        if after is None or query.get("CreatedAfter"):
            raise Problem(
                400,
                "InvalidInput",
                "Either CreatedAfter or LastUpdatedAfter is required, not both.",
            )
        if before is not None and (before < after or before > self.now() - SETTLE):
            raise Problem(
                400,
                "InvalidInput",
                "LastUpdatedBefore must be after LastUpdatedAfter and two minutes before now.",
            )
        size = int(query.get("MaxResultsPerPage") or ORDERS_PAGE_MAX)
        if not 1 <= size <= ORDERS_PAGE_MAX:
            raise Problem(400, "InvalidInput", "MaxResultsPerPage must be 1 - 100.")
        statuses = [s for s in query.get("OrderStatuses", "").split(",") if s]
        if any(s not in STATUSES for s in statuses):
            raise Problem(400, "InvalidInput", "Unknown OrderStatuses value.")
        fingerprint = json.dumps({k: v for k, v in sorted(query.items()) if k != "NextToken"})
        offset = 0
        if query.get("NextToken"):
            known = self._pages.get(query["NextToken"])
            if known is None or known[0] != fingerprint:
                raise Problem(400, "InvalidInput", "Invalid NextToken.")
            offset = known[1]
        end = before or self.now()
        rows = [
            o
            for o in self.orders.values()
            if after <= (parse_time(o["LastUpdateDate"], "") or after) <= end
            and (not statuses or o["OrderStatus"] in statuses)
        ]
        rows.sort(key=lambda o: (o["PurchaseDate"], o["AmazonOrderId"]))
        payload: dict[str, Any] = {
            "Orders": [self._shown(o, restricted) for o in rows[offset : offset + size]],
            "LastUpdatedBefore": stamp(end),
        }
        if offset + size < len(rows):
            token = uuid.uuid4().hex
            self._pages[token] = (fingerprint, offset + size)
            payload["NextToken"] = token
        return {"payload": payload}

    def _get_order_items(self, order_id: str, query: dict[str, str]) -> Any:
        order = self._order(order_id)
        offset = 0
        if query.get("NextToken"):
            known = self._pages.get(query["NextToken"])
            if known is None or known[0] != order_id:
                raise Problem(400, "InvalidInput", "Invalid NextToken.")
            offset = known[1]
        items = self.items[order_id][offset : offset + self.items_per_page]
        if order["OrderStatus"] in ("Pending", "PendingAvailability"):
            priced = ("ItemPrice", "ItemTax", "PromotionDiscount", "ShippingPrice")
            items = [{k: v for k, v in i.items() if k not in priced} for i in items]
        payload: dict[str, Any] = {"AmazonOrderId": order_id, "OrderItems": items}
        if offset + self.items_per_page < len(self.items[order_id]):
            token = uuid.uuid4().hex
            self._pages[token] = (order_id, offset + self.items_per_page)
            payload["NextToken"] = token
        return {"payload": payload}

    def _confirm_shipment(self, order_id: str, body: Any) -> None:
        order = self._order(order_id)
        detail = body.get("packageDetail") if isinstance(body, dict) else None
        if not isinstance(detail, dict) or body.get("marketplaceId") != self.marketplace_id:
            raise Problem(400, "Invalid Input", "marketplaceId and packageDetail are required.")
        for name in (
            "packageReferenceId",
            "carrierCode",
            "trackingNumber",
            "shipDate",
            "orderItems",
        ):
            if not detail.get(name):
                raise Problem(400, "Invalid Input", f"packageDetail.{name} is required.")
        if not str(detail["packageReferenceId"]).isdigit() or int(detail["packageReferenceId"]) < 1:
            raise Problem(400, "Invalid Input", "packageReferenceId must be a positive number.")
        if detail["carrierCode"] == "Other" and not detail.get("carrierName"):
            raise Problem(
                400, "Invalid Input", "carrierName is required when carrierCode is Other."
            )
        parse_time(detail["shipDate"], "shipDate")
        if order["FulfillmentChannel"] != "MFN" or order["OrderStatus"] not in (
            "Unshipped",
            "PartiallyShipped",
            "Shipped",
        ):
            raise Problem(
                400,
                "Invalid Input",
                f"Order {order_id} cannot be confirmed in status {order['OrderStatus']}.",
            )
        packages = self.packages.setdefault(order_id, {})
        reference = str(detail["packageReferenceId"])
        items = {i["OrderItemId"]: i for i in self.items[order_id]}
        others = [p for ref, p in packages.items() if ref != reference]
        for line in detail["orderItems"]:
            item = items.get(str(line.get("orderItemId")))
            if item is None:
                raise Problem(
                    400,
                    "Invalid Input",
                    f"Order item {line.get('orderItemId')} is not in the order.",
                )
            before = sum(
                q["quantity"]
                for p in others
                for q in p["orderItems"]
                if q["orderItemId"] == item["OrderItemId"]
            )
            if (
                int(line.get("quantity") or 0) < 1
                or before + int(line["quantity"]) > item["QuantityOrdered"]
            ):
                raise Problem(
                    400, "Invalid Input", f"Invalid quantity for order item {item['OrderItemId']}."
                )
        packages[reference] = dict(detail)  # the same reference edits that package
        shipped = {i: 0 for i in items}
        for package in packages.values():
            for line in package["orderItems"]:
                shipped[str(line["orderItemId"])] += int(line["quantity"])
        for item_id, item in items.items():
            item["QuantityShipped"] = shipped[item_id]
        done = all(shipped[i] >= items[i]["QuantityOrdered"] for i in items)
        order["OrderStatus"] = "Shipped" if done else "PartiallyShipped"
        self.touch(order_id)

    def _check_seller(self, seller_id: str, query: dict[str, str]) -> None:
        if seller_id != self.seller_id:
            raise Problem(
                403, "Unauthorized", DENIED, "The seller did not authorize this application."
            )
        if self.marketplace_id not in query.get("marketplaceIds", "").split(","):
            raise Problem(400, "InvalidInput", "marketplaceIds must name the seller's marketplace.")

    def _search_listings(self, query: dict[str, str]) -> Any:
        size = int(query.get("pageSize") or 10)
        if not 1 <= size <= LISTINGS_PAGE_MAX:
            raise Problem(400, "InvalidInput", "pageSize may be at most 20.")
        sort = query.get("sortBy") or "lastUpdatedDate"
        if sort not in ("sku", "createdDate", "lastUpdatedDate"):
            raise Problem(400, "InvalidInput", "Unknown sortBy.")
        after = query.get("createdAfter")
        rows = [row for row in self.listings.values() if not after or row["createdDate"] >= after]
        key = "sku" if sort == "sku" else "createdDate"
        descending = query.get("sortOrder", "DESC") == "DESC"
        rows.sort(key=lambda row: (row[key], row["sku"]), reverse=descending)
        fingerprint = json.dumps({k: v for k, v in sorted(query.items()) if k != "pageToken"})
        offset = 0
        if query.get("pageToken"):
            known = self._pages.get(query["pageToken"])
            if known is None or known[0] != fingerprint:
                raise Problem(400, "InvalidInput", "Invalid pageToken.")
            offset = known[1]
        reachable = rows[: self.search_cap]
        answer: dict[str, Any] = {
            "numberOfResults": len(rows),
            "items": [self._listing_item(row) for row in reachable[offset : offset + size]],
        }
        if offset + size < len(reachable):
            token = uuid.uuid4().hex
            self._pages[token] = (fingerprint, offset + size)
            answer["pagination"] = {"nextToken": token}
        return answer

    def _listing_item(self, row: dict[str, Any]) -> dict[str, Any]:
        summary = {
            "marketplaceId": self.marketplace_id,
            "asin": row["asin"],
            "productType": row["productType"],
            "status": ["BUYABLE", "DISCOVERABLE"],
            "itemName": f"Product {row['sku']}",
            "createdDate": row["createdDate"],
            "lastUpdatedDate": row["createdDate"],
        }
        return {"sku": row["sku"], "summaries": [summary]}

    def _patch_listing(self, sku: str, body: Any) -> Any:
        if not isinstance(body, dict) or not body.get("productType"):
            raise Problem(400, "InvalidInput", "productType is required.")
        patches = body.get("patches")
        if not isinstance(patches, list) or not patches:
            raise Problem(400, "InvalidInput", "patches must hold at least one operation.")
        answer: dict[str, Any] = {"sku": sku, "submissionId": uuid.uuid4().hex, "issues": []}
        listing = self.listings.get(sku)
        if listing is None or listing["refuse"]:
            message = listing["refuse"] if listing else f"SKU {sku} not found for this seller."
            issue: dict[str, Any] = {
                "code": "90220",
                "message": message,
                "severity": "ERROR",
                "categories": [],
            }
            return {**answer, "status": "INVALID", "issues": [issue]}
        changes: dict[str, int] = {}
        for patch in patches:
            if patch.get("op") not in ("add", "replace", "merge", "delete"):
                raise Problem(400, "InvalidInput", f"Unsupported op {patch.get('op')!r}.")
            if patch.get("path") != "/attributes/fulfillment_availability":
                raise Problem(400, "InvalidInput", "Only fulfillment_availability is patched here.")
            for value in patch.get("value") or []:
                code, quantity = value.get("fulfillment_channel_code"), value.get("quantity")
                if not code:
                    raise Problem(400, "InvalidInput", "A merge needs fulfillment_channel_code.")
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                    raise Problem(
                        400, "InvalidInput", "quantity must be a whole number, 0 or more."
                    )
                changes[str(code)] = quantity
        listing["quantity"].update(changes)
        return {**answer, "status": "ACCEPTED"}
