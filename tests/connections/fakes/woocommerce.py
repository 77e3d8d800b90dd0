"""A fake WooCommerce shop (REST API v3, the Shipment Tracking extension, webhooks), built from
WooCommerce's REST API documentation and its REST controllers' behaviour: Basic auth over HTTPS
only, OAuth 1.0a one-legged over HTTP with a 15-minute timestamp window and single-use nonces,
per_page 1..100 with X-WP-Total / X-WP-TotalPages / Link, batches of at most 100 objects with
per-item errors, WordPress's error body {code, message, data: {status}}.

Core WooCommerce has no rate limit; hosts and proxies in front of it answer 429 with Retry-After,
which `rate_limit` imitates on the fake's clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from tests.clock import MovableClock

API = "/wp-json/wc/v3"
TRACKING = "/wp-json/wc-shipment-tracking/v3"
STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
    "trash",
)
TOPICS = {
    f"{r}.{e}"
    for r in ("order", "product", "coupon", "customer")
    for e in ("created", "updated", "deleted", "restored")
}
EXPONENTS = {"JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


class WooError(Exception):
    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def response(self) -> JSONResponse:
        body = {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }
        headers = {}
        if self.code == "woocommerce_rest_authentication_error" and "secret" in self.message:
            headers["WWW-Authenticate"] = 'Basic realm="WooCommerce API"'
        return JSONResponse(body, status_code=self.status, headers=headers)


def missing(*names: str) -> WooError:
    return WooError(
        400,
        "rest_missing_callback_param",
        f"Missing parameter(s): {', '.join(names)}",
        params=list(names),
    )


def invalid(name: str, why: str) -> WooError:
    return WooError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: why})


def rawurlencode(value: str) -> str:
    return quote(value, safe="-_.~")


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:.{EXPONENTS.get(currency, 2)}f}"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class FakeWooCommerce:
    platform = "woocommerce"

    def __init__(
        self,
        clock: MovableClock | None = None,
        *,
        shipment_tracking: bool = True,
        rate_limit: tuple[int, float] | None = None,
        host: str = "shop.test",
    ) -> None:
        self.clock = clock or MovableClock()
        self.shipment_tracking = shipment_tracking
        self.rate_limit = rate_limit
        self.host = host
        self.rate_limited = 0
        self.requests = 0
        self.wall_time: Callable[[], float] = time.time
        self.moment = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        self.step = timedelta(seconds=1)  # how far the shop's time moves per change
        self.site_offset = timedelta(hours=-3)  # the site's timezone, as in WooCommerce's docs
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.trackings: dict[int, list[dict[str, Any]]] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.batch_calls: list[tuple[str, int]] = []
        self._ids = itertools.count(100)
        self._nonces: dict[str, float] = {}
        self._failures: list[int] = []
        self._window = (0.0, 0)
        self._parent: int | None = None
        self._credentials = {
            "consumer_key": "ck_" + "a" * 40,
            "consumer_secret": "cs_" + "b" * 40,
            "webhook_secret": "whsec-fake-woo",
        }

    # --- FakeShop ----------------------------------------------------------------------------

    @property
    def app(self) -> Any:
        return self._asgi

    @property
    def base_path(self) -> str:
        return ""

    @property
    def credentials(self) -> dict[str, str]:
        return dict(self._credentials)

    def _tick(self) -> datetime:
        now = self.moment
        self.moment += self.step
        return now

    def add_product(self, sku: str, *, variant: bool = False) -> None:
        now = stamp(self._tick())
        base = {
            "sku": sku,
            "manage_stock": False,
            "stock_quantity": None,
            "date_modified_gmt": now,
            "price": "10.00",
        }
        if not variant:
            pid = next(self._ids)
            self.products[pid] = {"id": pid, "name": sku, "type": "simple", "parent_id": 0, **base}
            return
        if self._parent is None:
            self._parent = next(self._ids)
            self.products[self._parent] = {
                "id": self._parent,
                "name": "Variable",
                "sku": "",
                "type": "variable",
                "parent_id": 0,
                "manage_stock": False,
                "stock_quantity": None,
            }
        vid = next(self._ids)
        self.products[vid] = {
            "id": vid,
            "name": sku,
            "type": "variation",
            "parent_id": self._parent,
            **base,
        }

    def product_of(self, sku: str) -> dict[str, Any] | None:
        return next((p for p in self.products.values() if p.get("sku") == sku), None)

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        currency: str = "USD",
        unit_price: str = "10.00",
        tax_rate: str = "0",
        discount: str = "0",
        shipping: str = "5.00",
        status: str = "processing",
    ) -> str:
        oid = next(self._ids)
        now = stamp(self._tick())
        items, subtotal_sum, tax_sum = [], Decimal(0), Decimal(0)
        for index, (sku, quantity) in enumerate(lines):
            product = self.product_of(sku) or {"id": 0, "parent_id": 0, "type": "simple"}
            subtotal = Decimal(unit_price) * quantity
            total = subtotal - (Decimal(discount) if index == 0 else Decimal(0))
            tax = total * Decimal(tax_rate)
            subtotal_sum, tax_sum = subtotal_sum + total, tax_sum + tax
            is_variation = product["type"] == "variation"
            items.append(
                {
                    "id": next(self._ids),
                    "name": f"Item {sku}",
                    "product_id": product["parent_id"] if is_variation else product["id"],
                    "variation_id": product["id"] if is_variation else 0,
                    "quantity": quantity,
                    "subtotal": money(subtotal, currency),
                    "subtotal_tax": money(tax, "USD"),
                    "total": money(total, currency),
                    "total_tax": money(tax, "USD"),
                    "sku": sku,
                    "price": float(unit_price),
                }
            )
        ship = Decimal(shipping)
        grand = subtotal_sum + tax_sum + ship
        address = {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": "",
            "address_1": "969 Market",
            "address_2": "",
            "city": "San Francisco",
            "state": "CA",
            "postcode": "94103",
            "country": "US",
        }
        self.orders[oid] = {
            "id": oid,
            "parent_id": 0,
            "number": str(oid),
            "status": status,
            "currency": currency,
            "date_created_gmt": now,
            "date_modified_gmt": now,
            "date_paid_gmt": now if status in ("processing", "completed") else None,
            "date_completed_gmt": None,
            "discount_total": money(Decimal(discount), currency),
            "shipping_total": money(ship, currency),
            "shipping_tax": money(Decimal(0), currency),
            "total": money(grand, currency),
            "total_tax": money(tax_sum, currency),
            "customer_note": "",
            "billing": {**address, "email": "ada@example.com", "phone": "(555) 555-5555"},
            "shipping": address,
            "payment_method": "stripe",
            "payment_method_title": "Credit card",
            "transaction_id": f"ch_{oid}",
            "line_items": items,
            "tax_lines": [],
            "shipping_lines": [
                {
                    "id": next(self._ids),
                    "method_title": "Flat Rate",
                    "method_id": "flat_rate",
                    "total": money(ship, currency),
                    "total_tax": money(Decimal(0), currency),
                }
            ],
            "fee_lines": [],
            "coupon_lines": [{"id": next(self._ids), "code": "SAVE", "discount": discount}]
            if Decimal(discount)
            else [],
            "refunds": [],
        }
        return str(oid)

    def touch(self, order_id: str, **changes: Any) -> None:
        order = self.orders[int(order_id)]
        order.update(changes)
        order["date_modified_gmt"] = stamp(self._tick())

    def cancel_order(self, platform_order_id: str) -> None:
        self.touch(platform_order_id, status="cancelled")

    def refund_order(self, platform_order_id: str, amount: str) -> None:
        order = self.orders[int(platform_order_id)]
        refunds = [*order["refunds"], {"id": next(self._ids), "reason": "", "total": f"-{amount}"}]
        full = Decimal(amount) + sum(-Decimal(r["total"]) for r in order["refunds"])
        status = "refunded" if full >= Decimal(order["total"]) else order["status"]
        self.touch(platform_order_id, refunds=refunds, status=status)

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        """WooCommerce sends a cancellation as order.updated with status cancelled."""
        order = self.orders[int(platform_order_id)]
        if event == "cancelled" and order["status"] != "cancelled":
            self.cancel_order(platform_order_id)
        topic_event = "created" if event == "created" else "updated"
        if event in ("deleted", "restored"):
            topic_event = event
        payload = {"id": order["id"]} if topic_event == "deleted" else order
        body = json.dumps(payload, separators=(",", ":")).encode()
        topic = f"order.{topic_event}"
        hook_id = next((h["id"] for h in self.webhooks.values() if h["topic"] == topic), 1)
        secret = next(
            (h["secret"] for h in self.webhooks.values() if h["id"] == hook_id),
            self._credentials["webhook_secret"],
        )
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        delivery = hashlib.md5(f"{hook_id}{int(self.wall_time())}".encode()).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.0 Hookshot (WordPress/6.5)",
            "X-WC-Webhook-Source": f"https://{self.host}/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": topic_event,
            "X-WC-Webhook-Signature": signature.decode(),
            "X-WC-Webhook-ID": str(hook_id),
            "X-WC-Webhook-Delivery-ID": delivery,
        }
        return headers, body

    def ping(self, webhook_id: int) -> tuple[dict[str, str], bytes]:
        """What WooCommerce posts when a webhook is saved: a form body, no signature."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "WooCommerce/9.0 Hookshot (WordPress/6.5)",
        }
        return headers, f"webhook_id={webhook_id}".encode()

    def available(self, sku: str, location: str | None = None) -> int | None:
        product = self.product_of(sku)
        if product is None or not product["manage_stock"]:
            return None
        return int(product["stock_quantity"])

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        oid = int(platform_order_id)
        found = [
            {
                "tracking_number": t["tracking_number"],
                "carrier": t["tracking_provider"] or t["custom_tracking_provider"],
                "tracking_link": t["tracking_link"] or t["custom_tracking_link"],
                "date_shipped": t["date_shipped"],
            }
            for t in self.trackings.get(oid, [])
        ]
        if found:
            return found
        # Without the extension, the shipment lives only in the note the customer reads.
        for note in self.notes.get(oid, []):
            number = re.search(r"Tracking number: (\S+?)\.", note["note"])
            if note["customer_note"] and number:
                found.append({"tracking_number": number.group(1), "note": note["note"]})
        return found

    def notes_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        return list(self.notes.get(int(platform_order_id), []))

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    # --- HTTP --------------------------------------------------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self._answer(request)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        self.requests += 1
        limited = self._over_limit()
        if limited is not None:
            self.rate_limited += 1
            return JSONResponse(
                {
                    "code": "too_many_requests",
                    "message": "Too many requests.",
                    "data": {"status": 429},
                },
                status_code=429,
                headers={"Retry-After": str(limited)},
            )
        if self._failures:
            status = self._failures.pop(0)
            return JSONResponse(
                {"code": "internal_server_error", "message": "Error.", "data": {"status": status}},
                status_code=status,
            )
        try:
            # WordPress authenticates before it routes; a missing login fails the route's
            # permission check, so an unknown route is 404 first.
            signed_in = self._authenticate(request)
            route = self._route(request)
            if not signed_in:
                raise self._unauthenticated(request)
            return await route(request)
        except WooError as error:
            return error.response()

    def _over_limit(self) -> int | None:
        if self.rate_limit is None:
            return None
        limit, window = self.rate_limit
        now = self.clock.now()
        start, count = self._window
        if now >= start + window:
            start, count = now, 0
        if count >= limit:
            self._window = (start, count)
            return max(1, math.ceil(start + window - now))
        self._window = (start, count + 1)
        return None

    # --- auth, as WC_REST_Authentication ------------------------------------------------------

    def _authenticate(self, request: Request) -> bool:
        query = dict(request.query_params)
        if request.url.scheme == "https":
            key, secret = query.get("consumer_key"), query.get("consumer_secret")
            header = request.headers.get("authorization", "")
            if not (key and secret) and header.startswith("Basic "):
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            if key and secret and key == self._credentials["consumer_key"]:
                if not hmac.compare_digest(secret, self._credentials["consumer_secret"]):
                    raise WooError(
                        401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
                    )
                return True
        return self._oauth(request, query)

    def _unauthenticated(self, request: Request) -> WooError:
        if request.method == "GET":
            return WooError(
                401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
            )
        return WooError(
            401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
        )

    def _oauth(self, request: Request, query: dict[str, str]) -> bool:
        needed = (
            "oauth_consumer_key",
            "oauth_timestamp",
            "oauth_nonce",
            "oauth_signature",
            "oauth_signature_method",
        )
        absent = [name for name in needed if not query.get(name)]
        if len(absent) == len(needed):
            return False
        if absent:
            raise WooError(
                401,
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth parameters {', '.join(absent)}",
            )
        if query["oauth_consumer_key"] != self._credentials["consumer_key"]:
            raise WooError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        method = query["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise WooError(
                401,
                "woocommerce_rest_authentication_error",
                "Invalid signature - signature method is invalid.",
            )
        params = sorted(
            (k, v) for k, v in request.query_params.multi_items() if k != "oauth_signature"
        )
        joined = "%26".join(rawurlencode(f"{rawurlencode(k)}={rawurlencode(v)}") for k, v in params)
        host = request.headers.get("host", self.host)
        url = f"{request.url.scheme}://{host}{request.url.path}"
        base = f"{request.method}&{rawurlencode(url)}&{joined}"
        algorithm = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
        key = (self._credentials["consumer_secret"] + "&").encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), algorithm).digest()).decode()
        if not hmac.compare_digest(expected, query["oauth_signature"].replace(" ", "+")):
            raise WooError(
                401,
                "woocommerce_rest_authentication_error",
                "Invalid signature - provided signature does not match.",
            )
        timestamp, now = int(query["oauth_timestamp"]), self.wall_time()
        if abs(timestamp - now) > 15 * 60:
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid timestamp.")
        self._nonces = {n: t for n, t in self._nonces.items() if t >= now - 15 * 60}
        if query["oauth_nonce"] in self._nonces:
            raise WooError(
                401,
                "woocommerce_rest_authentication_error",
                "Invalid nonce - nonce has already been used.",
            )
        self._nonces[query["oauth_nonce"]] = timestamp
        return True

    # --- routes ------------------------------------------------------------------------------

    def _route(self, request: Request) -> Callable[[Request], Awaitable[Response]]:
        path, method = request.url.path.rstrip("/"), request.method
        table: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", rf"{API}/orders", self._list_orders),
            ("GET", rf"{API}/orders/(\d+)", self._get_order),
            ("PUT", rf"{API}/orders/(\d+)", self._update_order),
            ("GET", rf"{API}/orders/(\d+)/notes", self._list_notes),
            ("POST", rf"{API}/orders/(\d+)/notes", self._add_note),
            ("GET", rf"{API}/products", self._list_products),
            ("GET", rf"{API}/products/(\d+)/variations", self._list_variations),
            ("POST", rf"{API}/products/batch", self._batch_products),
            ("POST", rf"{API}/products/(\d+)/variations/batch", self._batch_variations),
            ("GET", rf"{API}/webhooks", self._list_webhooks),
            ("POST", rf"{API}/webhooks", self._create_webhook),
            ("PUT", rf"{API}/webhooks/(\d+)", self._update_webhook),
        ]
        if self.shipment_tracking:
            table += [
                ("GET", rf"{TRACKING}/orders/(\d+)/shipment-trackings", self._list_trackings),
                ("POST", rf"{TRACKING}/orders/(\d+)/shipment-trackings", self._add_tracking),
            ]
        for verb, pattern, handler in table:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                ids = [int(g) for g in match.groups()]
                return lambda req: handler(req, *ids)
        raise WooError(
            404, "rest_no_route", "No route was found matching the URL and request method"
        )

    async def _body(self, request: Request) -> dict[str, Any]:
        """WordPress reads a JSON body only when it is sent as JSON."""
        if "json" not in request.headers.get("content-type", ""):
            return {}
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
        return body if isinstance(body, dict) else {}

    def _paged(self, request: Request, rows: list[dict[str, Any]]) -> JSONResponse:
        try:
            per_page = int(request.query_params.get("per_page", 10))
            page = int(request.query_params.get("page", 1))
        except ValueError:
            raise invalid("per_page", "per_page is not of type integer.") from None
        if not 1 <= per_page <= 100:
            raise invalid("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        if page < 1:
            raise invalid("page", "page must be greater than or equal to 1")
        total, pages = len(rows), math.ceil(len(rows) / per_page)
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = []
        base = str(request.url.remove_query_params(["page"]))
        if page > 1:
            links.append(f'<{base}&page={min(page - 1, pages)}>; rel="prev"')
        if pages > page:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
        if links:
            headers["Link"] = ", ".join(links)
        chunk = rows[(page - 1) * per_page : page * per_page]
        return JSONResponse(chunk, headers=headers)

    def _order(self, order_id: int, status: int = 404) -> dict[str, Any]:
        if order_id not in self.orders:
            raise WooError(status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return self.orders[order_id]

    async def _list_orders(self, request: Request) -> Response:
        q = request.query_params
        orderby, order = q.get("orderby", "date"), q.get("order", "desc")
        if orderby not in ("date", "id", "include", "title", "slug", "modified"):
            raise invalid(
                "orderby", "orderby is not one of date, id, include, title, slug, and modified."
            )
        if order not in ("asc", "desc"):
            raise invalid("order", "order is not one of asc and desc.")
        rows = [o for o in self.orders.values() if o["status"] not in ("trash", "checkout-draft")]
        for name in ("modified_after", "modified_before", "after", "before"):
            if name in q and not DATE.match(q[name]):
                raise invalid(name, "Invalid date.")
        if "modified_after" in q:
            # Without dates_are_gmt WordPress compares the site's local time.
            shift = timedelta(0) if q.get("dates_are_gmt") in ("true", "1") else self.site_offset
            limit = q["modified_after"][:19].replace(" ", "T")
            rows = [o for o in rows if stamp(self._gmt(o) + shift) > limit]
        field = {"modified": "date_modified_gmt", "id": "id"}.get(orderby, "date_created_gmt")
        rows.sort(key=lambda o: (o[field], o["id"]), reverse=order == "desc")
        return self._paged(request, rows)

    @staticmethod
    def _gmt(order: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(order["date_modified_gmt"])

    async def _get_order(self, request: Request, order_id: int) -> Response:
        return JSONResponse(self._order(order_id))

    async def _update_order(self, request: Request, order_id: int) -> Response:
        order = self._order(order_id, status=400)
        body = await self._body(request)
        if "status" in body:
            if body["status"] not in STATUSES:
                raise invalid("status", f"status is not one of {', '.join(STATUSES)}.")
            order["status"] = body["status"]
            if body["status"] == "completed":
                order["date_completed_gmt"] = stamp(self.moment)
        order["date_modified_gmt"] = stamp(self._tick())
        return JSONResponse(order)

    async def _list_notes(self, request: Request, order_id: int) -> Response:
        self._order(order_id)
        return JSONResponse(self.notes.get(order_id, []))

    async def _add_note(self, request: Request, order_id: int) -> Response:
        self._order(order_id)
        body = await self._body(request)
        if not body.get("note"):
            raise missing("note")
        note = {
            "id": next(self._ids),
            "author": "system",
            "date_created_gmt": stamp(self.moment),
            "note": body["note"],
            "customer_note": bool(body.get("customer_note", False)),
        }
        self.notes.setdefault(order_id, []).append(note)
        return JSONResponse(note, status_code=201)

    async def _list_products(self, request: Request) -> Response:
        rows = sorted(
            (p for p in self.products.values() if p["type"] != "variation"), key=lambda p: p["id"]
        )
        return self._paged(request, rows)

    async def _list_variations(self, request: Request, product_id: int) -> Response:
        self._product(product_id, status=404)
        rows = sorted(
            (p for p in self.products.values() if p["parent_id"] == product_id),
            key=lambda p: p["id"],
        )
        return self._paged(request, rows)

    def _product(self, product_id: int, *, status: int) -> dict[str, Any]:
        product = self.products.get(product_id)
        if product is None or product["type"] == "variation":
            raise WooError(status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return product

    async def _batch(self, request: Request, parent: int | None) -> Response:
        body = await self._body(request)
        count = sum(len(body.get(k) or []) for k in ("create", "update", "delete"))
        if count > 100:
            raise WooError(
                413,
                "woocommerce_rest_request_entity_too_large",
                "Unable to accept more than 100 items for this request.",
            )
        self.batch_calls.append((request.url.path, count))
        answers = []
        for item in body.get("update") or []:
            item_id = int(item.get("id") or 0)
            product = self.products.get(item_id)
            wrong = product is None or (
                product["parent_id"] != parent if parent else product["type"] == "variation"
            )
            if wrong:
                code = (
                    "woocommerce_rest_product_variation_invalid_id"
                    if parent
                    else "woocommerce_rest_product_invalid_id"
                )
                answers.append(
                    {
                        "id": item_id,
                        "error": {"code": code, "message": "Invalid ID.", "data": {"status": 400}},
                    }
                )
                continue
            assert product is not None
            quantity = item.get("stock_quantity", product["stock_quantity"])
            if quantity is not None and not isinstance(quantity, int):
                answers.append(
                    {
                        "id": item_id,
                        "error": {
                            "code": "rest_invalid_param",
                            "message": "Invalid parameter(s): stock_quantity",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            product["manage_stock"] = bool(item.get("manage_stock", product["manage_stock"]))
            product["stock_quantity"] = quantity
            product["date_modified_gmt"] = stamp(self._tick())
            answers.append(product)
        return JSONResponse({"update": answers} if answers else {})

    async def _batch_products(self, request: Request) -> Response:
        return await self._batch(request, None)

    async def _batch_variations(self, request: Request, product_id: int) -> Response:
        self._product(product_id, status=404)
        return await self._batch(request, product_id)

    async def _list_webhooks(self, request: Request) -> Response:
        rows = [{k: v for k, v in h.items() if k != "secret"} for h in self.webhooks.values()]
        return self._paged(request, rows)

    async def _create_webhook(self, request: Request) -> Response:
        body = await self._body(request)
        absent = [name for name in ("topic", "delivery_url") if not body.get(name)]
        if absent:
            raise missing(*absent)
        if body["topic"] not in TOPICS:
            raise WooError(
                400,
                "woocommerce_rest_webhook_invalid_topic",
                "Webhook topic is required and must be valid.",
            )
        if not str(body["delivery_url"]).startswith(("http://", "https://")):
            raise invalid("delivery_url", "Invalid URL.")
        hook_id = next(self._ids)
        resource, _, event = body["topic"].partition(".")
        self.webhooks[hook_id] = {
            "id": hook_id,
            "name": body.get("name") or body["topic"],
            "status": body.get("status", "active"),
            "topic": body["topic"],
            "resource": resource,
            "event": event,
            "delivery_url": body["delivery_url"],
            "secret": body.get("secret") or hashlib.md5(b"1admin").hexdigest(),
            "date_created_gmt": stamp(self.moment),
        }
        return JSONResponse(
            {k: v for k, v in self.webhooks[hook_id].items() if k != "secret"}, status_code=201
        )

    async def _update_webhook(self, request: Request, hook_id: int) -> Response:
        if hook_id not in self.webhooks:
            raise WooError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        body = await self._body(request)
        hook = self.webhooks[hook_id]
        for name in ("status", "secret", "name", "delivery_url"):
            if name in body:
                hook[name] = body[name]
        return JSONResponse({k: v for k, v in hook.items() if k != "secret"})

    async def _list_trackings(self, request: Request, order_id: int) -> Response:
        self._order(order_id)
        return JSONResponse(self.trackings.get(order_id, []))

    async def _add_tracking(self, request: Request, order_id: int) -> Response:
        self._order(order_id)
        body = await self._body(request)
        if not body.get("tracking_number"):
            raise missing("tracking_number")
        tracking = {
            "tracking_id": hashlib.md5(f"{order_id}{body['tracking_number']}".encode()).hexdigest(),
            "tracking_provider": body.get("tracking_provider", ""),
            "custom_tracking_provider": body.get("custom_tracking_provider", ""),
            "tracking_link": body.get("tracking_link", ""),
            "custom_tracking_link": body.get("custom_tracking_link", ""),
            "tracking_number": body["tracking_number"],
            "date_shipped": body.get("date_shipped", stamp(self.moment)[:10]),
        }
        self.trackings.setdefault(order_id, []).append(tracking)
        return JSONResponse(tracking, status_code=201)
