"""A fake BigCommerce store API, after BigCommerce's published reference (bigcommerce/docs,
reference/*.yml) and guides: X-Auth-Token, the v2 orders API, v3 catalog variants, inventory
adjustments and hooks, the 150-per-30-seconds quota, and Standard Webhooks signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderly.kit.clock import utcnow
from tests.clock import MovableClock

QUOTA = 150  # Standard and Plus plans
WINDOW_SECONDS = 30.0
PAGE_MAX = 250
ADJUSTMENT_MAX = 2000
SHIPPING_PROVIDERS = {"", "auspost", "canadapost", "endicia", "usps", "fedex", "royalmail"}
SHIPPING_PROVIDERS |= {"ups", "upsready", "shipperhq"}
HOOK_SCOPES = re.compile(r"^store/(order|product|sku|cart|customer|shipment|inventory)(/[\w/]+)?$")
STATUS_NAMES = [
    "Incomplete", "Pending", "Shipped", "Partially Shipped", "Refunded", "Cancelled", "Declined",
    "Awaiting Payment", "Awaiting Pickup", "Awaiting Shipment", "Completed",
    "Awaiting Fulfillment", "Manual Verification Required", "Disputed", "Partially Refunded",
]  # fmt: skip
EVENT_SCOPES = {
    "created": "store/order/created",
    "updated": "store/order/updated",
    "cancelled": "store/order/statusUpdated",
}


class Problem(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body


def v2_error(status: int, message: str) -> Problem:
    return Problem(status, [{"status": status, "message": message}])


def v3_error(status: int, title: str, errors: dict[str, str] | None = None) -> Problem:
    body = {"status": status, "title": title, "type": "/api-docs/getting-started/api-status-codes"}
    return Problem(status, {**body, "errors": errors or {}})


def parse_time(value: str) -> datetime:
    """RFC 2822 or ISO 8601, as `min_date_modified` accepts."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            raise v2_error(400, f"The date '{value}' is not RFC 2822 or ISO 8601.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page_args(request: Request, default: int = 50) -> tuple[int, int]:
    try:
        page = int(request.query_params.get("page", 1))
        limit = int(request.query_params.get("limit", default))
    except ValueError:
        raise v2_error(400, "page and limit must be integers") from None
    if limit > PAGE_MAX:
        raise v2_error(413, f"limit may not exceed {PAGE_MAX}")
    if page < 1 or limit < 1:
        raise v2_error(400, "page and limit must be positive")
    return page, limit


class FakeBigCommerce:
    platform = "bigcommerce"

    def __init__(self, clock: MovableClock | None = None, *, store_hash: str = "abc123") -> None:
        self.clock = clock or MovableClock()
        self.store_hash = store_hash
        self.store_id = "1025646"
        self.access_token = "bc-token-" + uuid.uuid4().hex[:12]
        self.client_secret = "bc-secret-" + uuid.uuid4().hex
        self.rate_limited = 0
        self.requests: list[tuple[str, str]] = []
        self.orders: dict[int, dict[str, Any]] = {}
        self.order_products: dict[int, list[dict[str, Any]]] = {}
        self.order_addresses: dict[int, list[dict[str, Any]]] = {}
        self.shipments: dict[int, list[dict[str, Any]]] = {}
        self.variants: dict[int, dict[str, Any]] = {}
        self.locations = {1}
        self.stock: dict[tuple[int, int], int] = {}
        self.hooks: dict[int, dict[str, Any]] = {}
        self.seconds_per_change = 1  # 0: every change within the same second
        self._wall = utcnow().replace(microsecond=0) - timedelta(days=1)
        self._ids = itertools.count(100)
        self._failures: list[int] = []
        self._window_start: float | None = None
        self._used = 0
        self._app = Starlette(
            routes=[
                Route(
                    "/stores/{store_hash}/{path:path}",
                    self._dispatch,
                    methods=["GET", "POST", "PUT", "DELETE"],
                )
            ]
        )
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("GET", re.compile(r"v2/store"), self._store),
            ("GET", re.compile(r"v2/orders"), self._list_orders),
            ("GET", re.compile(r"v2/orders/(\d+)"), self._get_order),
            ("PUT", re.compile(r"v2/orders/(\d+)"), self._update_order),
            ("GET", re.compile(r"v2/orders/(\d+)/products"), self._order_products),
            ("GET", re.compile(r"v2/orders/(\d+)/shipping_addresses"), self._order_addresses),
            ("GET", re.compile(r"v2/orders/(\d+)/shipments"), self._list_shipments),
            ("POST", re.compile(r"v2/orders/(\d+)/shipments"), self._create_shipment),
            ("GET", re.compile(r"v3/catalog/variants"), self._list_variants),
            ("PUT", re.compile(r"v3/inventory/adjustments/absolute"), self._adjust_absolute),
            ("GET", re.compile(r"v3/hooks"), self._list_hooks),
            ("POST", re.compile(r"v3/hooks"), self._create_hook),
        ]

    # FakeShop

    @property
    def app(self) -> Any:
        return self._app

    @property
    def base_path(self) -> str:
        return f"/stores/{self.store_hash}"

    @property
    def credentials(self) -> dict[str, str]:
        return {"access_token": self.access_token, "client_secret": self.client_secret}

    def add_product(self, sku: str, *, variant: bool = False) -> None:
        product_id = next(self._ids)
        if variant:  # a product with options: its base variant has no SKU of its own
            self.variants[next(self._ids)] = {"product_id": product_id, "sku": "", "base": True}
        self.variants[next(self._ids)] = {"product_id": product_id, "sku": sku, "base": not variant}

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        currency: str = "USD",
        unit_price: str = "10.00",
        status_id: int = 11,
        discount: str = "0",
        tax_rate: str = "0",
        shipping: str = "0",
    ) -> str:
        """An order in Awaiting Fulfillment, paid (captured), shipped to one US address."""
        order_id = next(self._ids)
        address_id = next(self._ids)
        price, rate = Decimal(unit_price), Decimal(tax_rate)
        products: list[dict[str, Any]] = []
        subtotal, tax = Decimal(0), Decimal(0)
        for sku, quantity in lines:
            variant_id = self.variant_of(sku)
            line_tax = (price * quantity * rate).quantize(Decimal("0.0001"))
            subtotal, tax = subtotal + price * quantity, tax + line_tax
            products.append(
                {
                    "id": next(self._ids),
                    "order_id": order_id,
                    "product_id": self.variants[variant_id]["product_id"] if variant_id else 0,
                    "variant_id": variant_id or 0,
                    "order_address_id": address_id,
                    "name": f"Product {sku}",
                    "sku": sku,
                    "quantity": quantity,
                    "quantity_shipped": 0,
                    "base_price": f"{price:.4f}",
                    "price_ex_tax": f"{price:.4f}",
                    "price_inc_tax": f"{price * (1 + rate):.4f}",
                    "total_ex_tax": f"{price * quantity:.4f}",
                    "total_tax": f"{line_tax:.4f}",
                    "applied_discounts": [],
                    "parent_order_product_id": None,
                }
            )
        if Decimal(discount) and products:
            products[0]["applied_discounts"] = [
                {"id": "coupon", "amount": f"{Decimal(discount):.4f}", "name": "Coupon",
                 "code": "SAVE", "target": "order"}
            ]  # fmt: skip
        total = subtotal + tax + Decimal(shipping) - Decimal(discount)
        self.orders[order_id] = {
            "id": order_id,
            "customer_id": 11,
            "date_created": self._stamp(),
            "status_id": status_id,
            "currency_code": currency,
            "subtotal_ex_tax": f"{subtotal:.4f}",
            "shipping_cost_ex_tax": f"{Decimal(shipping):.4f}",
            "shipping_cost_tax": "0.0000",
            "total_ex_tax": f"{total - tax:.4f}",
            "total_inc_tax": f"{total:.4f}",
            "total_tax": f"{tax:.4f}",
            "items_total": sum(q for _, q in lines),
            "items_shipped": 0,
            "payment_method": "Credit Card",
            "payment_provider_id": f"ch_{order_id}",
            "payment_status": "captured",
            "refunded_amount": "0.0000",
            "discount_amount": f"{Decimal(discount):.4f}",
            "coupon_discount": f"{Decimal(discount):.4f}",
            "customer_message": "",
            "billing_address": {
                "first_name": "Jane", "last_name": "Doe", "company": "",
                "email": "jane@example.com",
                "street_1": "555 East Street", "street_2": "", "city": "Austin", "state": "Texas",
                "zip": "78108", "country": "United States", "country_iso2": "US",
                "phone": "1234567890",
            },
        }  # fmt: skip
        self.orders[order_id]["date_modified"] = self.orders[order_id]["date_created"]
        self._set_status(order_id, status_id)
        self.order_products[order_id] = products
        self.order_addresses[order_id] = [
            {
                "id": address_id, "order_id": order_id, "first_name": "Trishy",
                "last_name": "Smith", "company": "Acme Ltd", "street_1": "666 Sussex St",
                "street_2": "Unit 4", "city": "San Antonio", "zip": "78251",
                "country": "United States", "country_iso2": "US", "state": "Texas",
                "email": "jane@example.com", "phone": "5550100", "shipping_method": "Flat Rate",
                "cost_ex_tax": f"{Decimal(shipping):.4f}", "cost_tax": "0.0000",
            }
        ]  # fmt: skip
        return str(order_id)

    def cancel_order(self, platform_order_id: str) -> None:
        self._set_status(int(platform_order_id), 5)
        self._touch(int(platform_order_id))

    def set_status(self, platform_order_id: str, status_id: int, **fields: Any) -> None:
        self._set_status(int(platform_order_id), status_id)
        self.orders[int(platform_order_id)].update(fields)
        self._touch(int(platform_order_id))

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        return self.signed_webhook(platform_order_id, event)

    def signed_webhook(
        self, platform_order_id: str, event: str, *, sent_at: datetime | None = None
    ) -> tuple[dict[str, str], bytes]:
        """As BigCommerce posts it: the thin payload, signed with the app's client secret."""
        scope = EVENT_SCOPES[event]
        created_at = int((sent_at or utcnow()).timestamp())
        data: dict[str, Any] = {"type": "order", "id": int(platform_order_id)}
        if event == "cancelled":
            data["status"] = {"previous_status_id": 11, "new_status_id": 5}
        digest = hashlib.sha1(f"{scope}{platform_order_id}{created_at}".encode()).hexdigest()
        payload = {
            "scope": scope,
            "store_id": self.store_id,
            "data": data,
            "hash": digest,
            "created_at": created_at,
            "producer": f"stores/{self.store_hash}",
        }
        body = json.dumps(payload).encode()
        webhook_id = str(uuid.uuid4())
        signed = f"{webhook_id}.{created_at}.".encode() + body
        mac = hmac.new(self.client_secret.encode(), signed, hashlib.sha256).digest()
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(created_at),
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        }
        return headers, body

    def available(self, sku: str, location: str | None = None) -> int | None:
        variant_id = self.variant_of(sku)
        if variant_id is None:
            return None
        return self.stock.get((int(location or 1), variant_id))

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        return list(self.shipments.get(int(platform_order_id), []))

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def use_quota(self, requests: int) -> None:
        """Another app on the same store spends part of the shared quota."""
        self._quota_window()
        self._used += requests

    def calls(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def variant_of(self, sku: str) -> int | None:
        return next((i for i, v in self.variants.items() if v["sku"] == sku), None)

    # Plumbing

    def _stamp(self) -> str:
        self._wall += timedelta(seconds=self.seconds_per_change)
        return format_datetime(self._wall)

    def _touch(self, order_id: int) -> None:
        self.orders[order_id]["date_modified"] = self._stamp()

    def _set_status(self, order_id: int, status_id: int) -> None:
        self.orders[order_id].update(status_id=status_id, status=STATUS_NAMES[status_id])

    def _quota_window(self) -> float:
        now = self.clock.now()
        if self._window_start is None or now >= self._window_start + WINDOW_SECONDS:
            self._window_start, self._used = now, 0
        return self._window_start + WINDOW_SECONDS - now

    def _quota_headers(self, reset: float) -> dict[str, str]:
        return {
            "X-Rate-Limit-Time-Window-Ms": str(int(WINDOW_SECONDS * 1000)),
            "X-Rate-Limit-Time-Reset-Ms": str(max(int(reset * 1000), 1)),
            "X-Rate-Limit-Requests-Quota": str(QUOTA),
            "X-Rate-Limit-Requests-Left": str(max(QUOTA - self._used, 0)),
        }

    async def _dispatch(self, request: Request) -> Response:
        path = request.path_params["path"].rstrip("/")
        self.requests.append((request.method, "/" + path))
        if request.path_params["store_hash"] != self.store_hash:
            return JSONResponse(v3_error(404, "Store not found").body, status_code=404)
        if self._failures:
            status = self._failures.pop(0)
            return JSONResponse({"status": status, "title": "Service Unavailable"}, status)
        if request.headers.get("x-auth-token") != self.access_token:
            title = "Unauthorized - the v3 Auth client ID or token in the request are not a valid combination for this store."  # noqa: E501
            return JSONResponse(v3_error(401, title).body, status_code=401)
        reset = self._quota_window()
        if self._used >= QUOTA:
            self.rate_limited += 1
            headers = self._quota_headers(reset)
            body = {"status": 429, "title": "Too many requests"}
            return JSONResponse(body, status_code=429, headers=headers)
        self._used += 1
        headers = self._quota_headers(reset)
        try:
            result = await self._route(request, path)
        except Problem as problem:
            return JSONResponse(problem.body, status_code=problem.status, headers=headers)
        if isinstance(result, Response):
            result.headers.update(headers)
            return result
        return JSONResponse(result, headers=headers)

    async def _route(self, request: Request, path: str) -> Any:
        accept = request.headers.get("accept", "application/json")
        if "application/json" not in accept and "*/*" not in accept:
            raise v2_error(406, "Only application/json is offered")
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if not match:
                continue
            allowed = True
            if method == request.method:
                body = None
                if method in ("POST", "PUT"):
                    if request.headers.get("content-type", "").split(";")[0] != "application/json":
                        raise v2_error(415, "Content-Type must be application/json")
                    try:
                        body = json.loads(await request.body())
                    except ValueError:
                        raise v2_error(400, "The request body is not valid JSON") from None
                args: list[Any] = [int(g) for g in match.groups()]
                if method in ("POST", "PUT"):
                    if not isinstance(body, dict):
                        raise v2_error(400, "The request body must be a JSON object")
                    args.append(body)
                return handler(request, *args)
        if allowed:
            raise v2_error(405, "Method not allowed")
        raise v2_error(404, "The requested resource was not found.")

    def _order(self, order_id: int) -> dict[str, Any]:
        if order_id not in self.orders:
            raise v2_error(404, "The requested resource was not found.")
        return self.orders[order_id]

    def _store(self, request: Request) -> Any:
        return {"id": self.store_hash, "name": "Fake Store", "currency": "USD"}

    def _list_orders(self, request: Request) -> Any:
        page, limit = page_args(request)
        sort = request.query_params.get("sort", "id:asc")
        field, _, direction = sort.partition(":")
        if field not in {"id", "date_created", "date_modified", "status_id"} or direction not in {
            "", "asc", "desc"
        }:  # fmt: skip
            raise v2_error(400, f"Invalid sort '{sort}'")
        rows = list(self.orders.values())
        since = request.query_params.get("min_date_modified")
        if since is not None:
            floor = parse_time(since)
            rows = [o for o in rows if parsedate_to_datetime(o["date_modified"]) >= floor]

        def key(order: dict[str, Any]) -> tuple[Any, int]:
            value = order[field]
            if field.startswith("date_"):
                value = parsedate_to_datetime(value)
            return value, order["id"]

        rows.sort(key=key, reverse=direction == "desc")
        chunk = rows[(page - 1) * limit : page * limit]
        return chunk if chunk else Response(status_code=204)

    def _get_order(self, request: Request, order_id: int) -> Any:
        return self._order(order_id)

    def _update_order(self, request: Request, order_id: int, body: Any) -> Any:
        order = self._order(order_id)
        status_id = body.get("status_id")
        if status_id is not None and (not isinstance(status_id, int) or not 0 <= status_id <= 14):
            raise v2_error(400, "The field 'status_id' is invalid.")
        if status_id is not None:
            self._set_status(order_id, status_id)
        self._touch(order_id)
        return order

    def _sub_list(self, request: Request, rows: list[dict[str, Any]]) -> Any:
        page, limit = page_args(request)
        chunk = rows[(page - 1) * limit : page * limit]
        return chunk if chunk else Response(status_code=204)

    def _order_products(self, request: Request, order_id: int) -> Any:
        self._order(order_id)
        return self._sub_list(request, self.order_products[order_id])

    def _order_addresses(self, request: Request, order_id: int) -> Any:
        self._order(order_id)
        return self._sub_list(request, self.order_addresses[order_id])

    def _list_shipments(self, request: Request, order_id: int) -> Any:
        self._order(order_id)
        return self._sub_list(request, self.shipments.get(order_id, []))

    def _create_shipment(self, request: Request, order_id: int, body: Any) -> Any:
        order = self._order(order_id)
        address_ids = {a["id"] for a in self.order_addresses[order_id]}
        if body.get("order_address_id") not in address_ids:
            raise v2_error(400, "The field 'order_address_id' is invalid.")
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise v2_error(400, "The required field 'items' was not supplied.")
        provider = body.get("shipping_provider", "")
        if provider not in SHIPPING_PROVIDERS and not str(provider).startswith("carrier_"):
            raise v2_error(400, f"The field 'shipping_provider' is invalid: '{provider}'.")
        if len(str(body.get("tracking_number", ""))) > 50:
            raise v2_error(400, "The field 'tracking_number' is too long.")
        lines = {p["id"]: p for p in self.order_products[order_id]}
        for item in items:
            line = lines.get(item.get("order_product_id"))
            quantity = item.get("quantity")
            if line is None or line["order_address_id"] != body["order_address_id"]:
                raise v2_error(400, f"Order product {item.get('order_product_id')} is invalid.")
            if not isinstance(quantity, int) or not 0 < quantity <= (
                line["quantity"] - line["quantity_shipped"]
            ):
                raise v2_error(400, f"Quantity of order product {line['id']} exceeds unshipped.")
        for item in items:
            lines[item["order_product_id"]]["quantity_shipped"] += item["quantity"]
        order["items_shipped"] += sum(item["quantity"] for item in items)
        self._set_status(order_id, 2 if order["items_shipped"] >= order["items_total"] else 3)
        self._touch(order_id)
        shipment = {
            "id": next(self._ids),
            "order_id": order_id,
            "date_created": self._wall.strftime("%a, %d %b %Y %H:%M:%S +0000"),
            "order_address_id": body["order_address_id"],
            "tracking_number": body.get("tracking_number", ""),
            "shipping_provider": provider,
            "tracking_carrier": body.get("tracking_carrier", ""),
            "tracking_link": body.get("tracking_link", ""),
            "comments": body.get("comments", ""),
            "items": [dict(i) for i in items],
        }
        self.shipments.setdefault(order_id, []).append(shipment)
        return JSONResponse(shipment, status_code=201)

    def _list_variants(self, request: Request) -> Any:
        page, limit = page_args(request)
        rows = [
            {"id": i, "product_id": v["product_id"], "sku": v["sku"]}
            for i, v in sorted(self.variants.items())
        ]
        total_pages = max((len(rows) + limit - 1) // limit, 1)
        chunk = rows[(page - 1) * limit : page * limit]
        links = {"current": f"?page={page}&limit={limit}"}
        if page < total_pages:
            links["next"] = f"?page={page + 1}&limit={limit}"
        pagination = {
            "total": len(rows), "count": len(chunk), "per_page": limit,
            "current_page": page, "total_pages": total_pages, "links": links,
        }  # fmt: skip
        return {"data": chunk, "meta": {"pagination": pagination}}

    def _adjust_absolute(self, request: Request, body: Any) -> Any:
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise v3_error(422, "JSON data is missing or invalid", {"items": "error.path.missing"})
        if len(items) > ADJUSTMENT_MAX:
            raise v3_error(422, f"The number of items must not exceed {ADJUSTMENT_MAX}")
        changes: dict[tuple[int, int], int] = {}
        unknown = []
        for item in items:
            keys = [k for k in ("sku", "variant_id", "product_id") if k in item]
            location, quantity = item.get("location_id"), item.get("quantity")
            if len(keys) != 1 or not isinstance(quantity, int) or quantity < 0:
                raise v3_error(422, "JSON data is missing or invalid", {"items": "error.invalid"})
            if location not in self.locations:
                raise v3_error(422, f"[Location with id {location} is not found]")
            variant_id = self._item_variant(keys[0], item[keys[0]])
            if variant_id is None:
                unknown.append(f"Item with {keys[0]} {item[keys[0]]} is not found")
                continue
            changes[(location, variant_id)] = quantity
        if unknown:  # one bad item refuses the whole adjustment
            raise v3_error(422, "[" + ", ".join(unknown) + "]")
        self.stock.update(changes)
        return {"transaction_id": str(uuid.uuid4())}

    def _item_variant(self, key: str, value: Any) -> int | None:
        if key == "sku":
            return self.variant_of(str(value))
        if key == "variant_id":
            return value if value in self.variants else None
        base = [i for i, v in self.variants.items() if v["product_id"] == value and v["base"]]
        return base[0] if base else None

    def _list_hooks(self, request: Request) -> Any:
        page, limit = page_args(request)
        rows = [self.hooks[i] for i in sorted(self.hooks)]
        chunk = rows[(page - 1) * limit : page * limit]
        total_pages = max((len(rows) + limit - 1) // limit, 1)
        pagination = {
            "total": len(rows), "count": len(chunk), "per_page": limit,
            "current_page": page, "total_pages": total_pages,
        }  # fmt: skip
        return {"data": chunk, "meta": {"pagination": pagination}}

    def _create_hook(self, request: Request, body: Any) -> Any:
        missing = {f: "error.path.missing." for f in ("scope", "destination") if f not in body}
        if missing:
            raise v3_error(422, "JSON data is missing or invalid", missing)
        if not HOOK_SCOPES.match(str(body["scope"])):
            raise v3_error(422, "JSON data is missing or invalid", {"scope": "error.invalid"})
        url = urlsplit(str(body["destination"]))
        if url.scheme != "https" or url.port not in (None, 443):
            title = "Destination must be an https URL on port 443"
            raise v3_error(422, title, {"destination": "error.invalid"})
        hook_id = next(self._ids)
        now = int(utcnow().timestamp())
        self.hooks[hook_id] = {
            "id": hook_id,
            "client_id": "fake-client",
            "store_hash": self.store_hash,
            "scope": body["scope"],
            "destination": body["destination"],
            "is_active": bool(body.get("is_active", True)),
            "headers": body.get("headers"),
            "created_at": now,
            "updated_at": now,
        }
        return {"data": self.hooks[hook_id], "meta": {}}
