"""A fake Magento 2 store: the REST routes the connector uses, each request's OAuth 1.0a
signature checked as Magento checks it, searchCriteria as Magento reads it, and a host's rate
limit counted on a `MovableClock`. One file because the routes share the store's state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.clock import MovableClock

SOURCE_ITEM_TYPE = "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface"
NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
REQUIRED = '"%fieldName" is required. Enter and try again.'


class MagentoError(Exception):
    def __init__(self, status: int, message: str, parameters: Any = None) -> None:
        super().__init__(message)
        self.status, self.message, self.parameters = status, message, parameters

    def response(self) -> Response:
        body: dict[str, Any] = {"message": self.message}
        if self.parameters is not None:
            body["parameters"] = self.parameters
        return _json(body, status=self.status)


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(data, default=lambda value: float(value))
    return Response(text, status_code=status, media_type="application/json", headers=headers)


def _enc(value: str) -> str:
    return quote(value, safe="~-._")


def _money(amount: Decimal) -> float:
    # Magento's JSON has numbers; the connector reads them back as decimals.
    return float(amount)


class FakeMagento:
    platform = "magento"

    def __init__(
        self,
        clock: MovableClock,
        *,
        rate_limit: tuple[int, float] | None = None,
        input_limits: bool = False,
        input_list_limit: int = 20,
        max_page_size: int = 300,
    ) -> None:
        self.clock = clock
        self.rate_limited = 0
        self.rate_limit = rate_limit
        self.input_limits = input_limits
        self.input_list_limit = input_list_limit
        self.max_page_size = max_page_size
        self._start = clock.now()
        # The store's wall clock starts an hour ago, so a first pull's look-back finds its orders.
        self._epoch = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self._consumer_id = 7
        self._credentials = {
            "consumer_key": "k" * 31 + "1",
            "consumer_secret": "s" * 31 + "2",
            "access_token": "t" * 31 + "3",
            "access_token_secret": "x" * 31 + "4",
        }
        self.nonces: set[str] = set()
        self.products: dict[str, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}
        self.sources = {"default"}
        self.source_items: dict[tuple[str, str], tuple[Decimal, int]] = {}
        self.requests: list[tuple[str, str]] = []
        self._failures: list[int] = []
        self._window: deque[float] = deque()
        self._ids = {"product": 0, "order": 0, "item": 0, "shipment": 0}
        self._app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT"])]
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
        return dict(self._credentials)

    def add_product(self, sku: str, *, variant: bool = False) -> None:
        if variant:
            parent = f"{sku}-parent"
            if parent not in self.products:
                self._product(parent, "configurable")
        self._product(sku, "simple", parent=f"{sku}-parent" if variant else None)

    def place_order(
        self, lines: list[tuple[str, int]], *, currency: str = "USD", unit_price: str = "10.00"
    ) -> str:
        price = Decimal(unit_price)
        shipping = Decimal("500") if currency == "JPY" else Decimal("5.00")
        items: list[dict[str, Any]] = []
        for sku, qty in lines:
            product = self.products.get(sku) or self._product(sku, "simple")
            row = price * qty
            item = self._item(product, sku, qty, price, row)
            items.append(item)
            if product.get("parent"):
                item["product_type"] = "configurable"
                item["product_id"] = self.products[product["parent"]]["id"]
                child = self._item(product, sku, qty, Decimal(0), Decimal(0))
                child["parent_item_id"] = item["item_id"]
                items.append(child)
        subtotal = sum((Decimal(str(i["row_total"])) for i in items), Decimal(0))
        total = subtotal + shipping
        return str(
            self.put_order(
                {
                    "state": "processing",
                    "status": "processing",
                    "order_currency_code": currency,
                    "base_currency_code": currency,
                    "customer_email": "ada@example.com",
                    "customer_firstname": "Ada",
                    "customer_lastname": "Lovelace",
                    "subtotal": _money(subtotal),
                    "grand_total": _money(total),
                    "tax_amount": 0,
                    "discount_amount": 0,
                    "shipping_amount": _money(shipping),
                    "shipping_tax_amount": 0,
                    "total_paid": _money(total),
                    "total_invoiced": _money(total),
                    "items": items,
                    "billing_address": _us_address(),
                    "payment": {"method": "checkmo", "amount_paid": _money(total)},
                    "extension_attributes": {
                        "shipping_assignments": [
                            {"shipping": {"address": _us_address(), "method": "flatrate_flatrate"}}
                        ]
                    },
                }
            )
        )

    def put_order(self, raw: dict[str, Any]) -> int:
        """Store an order as given (ids and times filled in); answers its entity_id."""
        order_id = self._next("order")
        now = self.wall_time()
        order = {
            "entity_id": order_id,
            "increment_id": str(100000000 + order_id),
            "created_at": now,
            "updated_at": now,
            **raw,
        }
        for item in order.get("items") or []:
            item.setdefault("item_id", self._next("item"))
            item["order_id"] = order_id
        self.orders[order_id] = order
        return order_id

    def cancel_order(self, platform_order_id: str) -> None:
        order = self.orders[int(platform_order_id)]
        order.update(state="canceled", status="canceled", updated_at=self.wall_time())

    def refund_order(self, platform_order_id: str) -> None:
        """A credit memo for the whole order: Magento closes it."""
        order = self.orders[int(platform_order_id)]
        order.update(state="closed", status="closed", updated_at=self.wall_time())
        order["total_refunded"] = order.get("total_paid", 0)

    def touch_order(self, platform_order_id: str) -> None:
        self.orders[int(platform_order_id)]["updated_at"] = self.wall_time()

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        raise NotImplementedError("Magento Open Source sends no webhooks")

    def available(self, sku: str, location: str | None = None) -> int | None:
        found = self.source_items.get((sku, location or "default"))
        return int(found[0]) if found else None

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        return [
            {**s, "tracking_number": (s["tracks"] or [{}])[0].get("track_number")}
            for s in self.shipments.values()
            if s["order_id"] == int(platform_order_id)
        ]

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures += [status] * count

    def wall_time(self) -> str:
        moment = self._epoch + timedelta(seconds=self.clock.now() - self._start)
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    # The store

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _product(self, sku: str, type_id: str, parent: str | None = None) -> dict[str, Any]:
        product = {"id": self._next("product"), "sku": sku, "type_id": type_id, "name": sku}
        if parent:
            product["parent"] = parent
        self.products[sku] = product
        return product

    def _item(
        self, product: dict[str, Any], sku: str, qty: int, price: Decimal, row: Decimal
    ) -> dict[str, Any]:
        return {
            "item_id": self._next("item"),
            "sku": sku,
            "name": product["name"],
            "product_id": product["id"],
            "product_type": "simple",
            "qty_ordered": qty,
            "qty_shipped": 0,
            "qty_canceled": 0,
            "price": _money(price),
            "row_total": _money(row),
            "tax_amount": 0,
            "discount_amount": 0,
        }

    # HTTP

    async def _handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.url.path))
        if self._failures:
            status = self._failures.pop(0)
            return _json({"message": "Service Unavailable"}, status=status)
        if (wait := self._over_rate_limit()) is not None:
            self.rate_limited += 1
            return _json(
                {"message": "Too Many Requests"}, status=429, headers={"Retry-After": str(wait)}
            )
        try:
            match = re.fullmatch(r"/rest/([a-z0-9_]+)/V1(/.*)", request.url.path)
            if not match or match.group(1) not in ("default", "all"):
                raise MagentoError(404, "Request does not match any route.")
            body = await request.body()
            self._authenticate(request)
            payload = self._payload(request, body)
            return _json(self._route(request.method, match.group(2), request, payload))
        except MagentoError as error:
            return error.response()

    def _over_rate_limit(self) -> int | None:
        if self.rate_limit is None:
            return None
        limit, window = self.rate_limit
        now = self.clock.now()
        while self._window and self._window[0] <= now - window:
            self._window.popleft()
        if len(self._window) >= limit:
            return max(math.ceil(self._window[0] + window - now), 1)
        self._window.append(now)
        return None

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("oauth "):
            raise MagentoError(
                401,
                "The consumer isn't authorized to access %resources.",
                {"resources": "Magento_Sales::sales"},
            )
        params: dict[str, str] = {}
        for part in header[6:].split(","):
            name, _, value = part.strip().partition("=")
            if name.startswith("oauth_"):
                params[name] = unquote(value.strip('"'))
        required = [
            "oauth_consumer_key",
            "oauth_signature",
            "oauth_signature_method",
            "oauth_nonce",
            "oauth_timestamp",
            "oauth_token",
        ]
        missing = [p for p in required if p not in params]
        if missing:
            raise MagentoError(400, REQUIRED, {"fieldName": missing[0]})
        if params.get("oauth_version", "1.0") != "1.0":
            raise MagentoError(
                400, 'The "%1" Oauth version isn\'t supported.', [params["oauth_version"]]
            )
        if len(params["oauth_token"]) != 32:
            raise MagentoError(400, "The token length is invalid. Check the length and try again.")
        method = params["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise MagentoError(400, "Signature method %1 is not supported", [method])
        if params["oauth_consumer_key"] != self._credentials["consumer_key"]:
            raise MagentoError(401, "A consumer having the specified key does not exist")
        timestamp = int(params["oauth_timestamp"]) if params["oauth_timestamp"].isdigit() else 0
        if timestamp <= 0 or timestamp > time.time() + 600:
            raise MagentoError(400, "Incorrect timestamp value in the oauth_timestamp parameter")
        nonce = params["oauth_nonce"]
        if nonce in self.nonces:
            raise MagentoError(
                401,
                "The nonce is already being used by the consumer with ID %1",
                [str(self._consumer_id)],
            )
        self.nonces.add(nonce)
        if params["oauth_token"] != self._credentials["access_token"]:
            raise MagentoError(401, "The access token is invalid.")
        expected = self._signature(request, params, method)
        if not hmac.compare_digest(expected, params["oauth_signature"]):
            raise MagentoError(401, "The signature is invalid. Verify and try again.")

    def _signature(self, request: Request, oauth: dict[str, str], method: str) -> str:
        url = request.url
        port = f":{url.port}" if url.port and url.port not in (80, 443) else ""
        base_uri = f"{url.scheme}://{(url.hostname or '').lower()}{port}{url.path}"
        pairs = [(k, v) for k, v in oauth.items() if k != "oauth_signature"]
        pairs += [
            (k, v)
            for k, v in parse_qsl(url.query, keep_blank_values=True)
            if not k.startswith("oauth_")
        ]
        normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in pairs))
        text = "&".join([request.method.upper(), _enc(base_uri), _enc(normalized)])
        key = f"{_enc(self._credentials['consumer_secret'])}&"
        key += _enc(self._credentials["access_token_secret"])
        digest = hashlib.sha256 if method == "HMAC-SHA256" else hashlib.sha1
        return base64.b64encode(hmac.new(key.encode(), text.encode(), digest).digest()).decode()

    def _payload(self, request: Request, body: bytes) -> dict[str, Any]:
        if request.method == "GET":
            return {}
        media = request.headers.get("content-type", "").split(";")[0].strip()
        if not media:
            raise MagentoError(400, "Content-Type header is empty.")
        if media != "application/json":
            raise MagentoError(
                400, "Server cannot understand Content-Type HTTP header media type %1", [media]
            )
        if not body:
            return {}
        try:
            data = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise MagentoError(400, "Decoding error.") from None
        if not isinstance(data, dict):
            raise MagentoError(400, "Decoding error.")
        return data

    def _route(self, method: str, path: str, request: Request, body: dict[str, Any]) -> Any:
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"/orders", self._search_orders),
            ("GET", r"/orders/(\d+)", self._get_order),
            ("POST", r"/orders/(\d+)/cancel", self._cancel),
            ("POST", r"/orders/(\d+)/comments", self._comment),
            ("POST", r"/order/(\d+)/ship", self._ship),
            ("GET", r"/shipments", self._search_shipments),
            ("GET", r"/products", self._search_products),
            ("POST", r"/inventory/source-items", self._save_source_items),
            ("GET", r"/store/storeConfigs", self._store_configs),
        ]
        for verb, pattern, handler in routes:
            found = re.fullmatch(pattern, path)
            if verb == method and found:
                return handler(*found.groups(), query=request.url.query, body=body)
        raise MagentoError(404, "Request does not match any route.")

    def _order(self, order_id: str) -> dict[str, Any]:
        try:
            return self.orders[int(order_id)]
        except KeyError:
            raise MagentoError(404, NO_ENTITY) from None

    def _get_order(self, order_id: str, **_: Any) -> Any:
        return self._order(order_id)

    def _search_orders(self, *, query: str, **_: Any) -> Any:
        # A page past the end answers the last page again, as Magento's collections do.
        return self._search(list(self.orders.values()), query, past_end_repeats=True)

    def _search_products(self, *, query: str, **_: Any) -> Any:
        rows = [{k: v for k, v in p.items() if k != "parent"} for p in self.products.values()]
        return self._search(rows, query, past_end_repeats=False)

    def _search_shipments(self, *, query: str, **_: Any) -> Any:
        return self._search(list(self.shipments.values()), query, past_end_repeats=True)

    def _store_configs(self, **_: Any) -> Any:
        return [{"id": 1, "code": "default", "base_currency_code": "USD", "timezone": "UTC"}]

    def _search(self, rows: list[dict[str, Any]], query: str, *, past_end_repeats: bool) -> Any:
        criteria = _criteria(query)
        page_size = criteria.get("pageSize")
        if page_size is not None and self.input_limits and int(page_size) > self.max_page_size:
            raise MagentoError(400, f"Maximum SearchCriteria pageSize is {self.max_page_size}")
        for group in criteria.get("filter_groups", {}).values():
            filters = list(group.get("filters", {}).values())
            rows = [r for r in rows if any(_matches(r, f) for f in filters)]
        for order in reversed(list(criteria.get("sortOrders", {}).values())):
            field = order.get("field", "")
            rows.sort(key=lambda r: _key(r.get(field)), reverse=order.get("direction") == "DESC")
        total = len(rows)
        current = max(int(criteria.get("currentPage") or 1), 1)
        if page_size:
            size = int(page_size)
            last = max(math.ceil(total / size), 1)
            page = min(current, last) if past_end_repeats else current
            rows = rows[(page - 1) * size : page * size]
        return {"items": rows, "search_criteria": criteria, "total_count": total}

    def _cancel(self, order_id: str, **_: Any) -> Any:
        order = self._order(order_id)
        shipped = any(i.get("qty_shipped") for i in order.get("items") or [])
        if order["state"] in ("canceled", "complete", "closed", "holded", "payment_review"):
            return False
        if shipped:
            return False
        self.cancel_order(order_id)
        return True

    def _comment(self, order_id: str, *, body: dict[str, Any], **_: Any) -> Any:
        order = self._order(order_id)
        history = body.get("statusHistory")
        if not isinstance(history, dict):
            raise MagentoError(400, REQUIRED, {"fieldName": "statusHistory"})
        order.setdefault("status_histories", []).append(history)
        return True

    def _ship(self, order_id: str, *, body: dict[str, Any], **_: Any) -> Any:
        order = self._order(order_id)
        problems: list[str] = []
        if order["state"] in ("canceled", "holded", "payment_review"):
            problems.append(
                f"A shipment cannot be created when an order has a status of {order['status']}"
            )
        by_id = {i["item_id"]: i for i in order.get("items") or []}
        wanted = body.get("items") or [
            {"order_item_id": i["item_id"], "qty": _to_ship(i)}
            for i in by_id.values()
            if i.get("parent_item_id") is None and _to_ship(i) > 0
        ]
        total = Decimal(0)
        for line in wanted:
            item = by_id.get(line.get("order_item_id"))
            if item is None:
                problems.append(f'We can not found item "{line.get("order_item_id")}" in order.')
            elif Decimal(str(line.get("qty", 0))) > _to_ship(item):
                problems.append(f'We found an invalid quantity to ship for item "{item["name"]}".')
            else:
                total += Decimal(str(line.get("qty", 0)))
        if total <= 0:
            problems.append("You can't create a shipment without products.")
        for track in body.get("tracks") or []:
            for field in ("track_number", "carrier_code"):
                if not track.get(field):
                    raise MagentoError(400, REQUIRED, {"fieldName": field})
        if problems:
            raise MagentoError(
                400, "Shipment Document Validation Error(s):\n" + "\n".join(problems)
            )
        for line in wanted:
            qty = int(Decimal(str(line["qty"])))
            for item in by_id.values():
                if line["order_item_id"] in (item["item_id"], item.get("parent_item_id")):
                    item["qty_shipped"] = item.get("qty_shipped", 0) + qty
        shipment_id = self._next("shipment")
        comment = body.get("comment")
        self.shipments[shipment_id] = {
            "entity_id": shipment_id,
            "order_id": order["entity_id"],
            "items": [{"order_item_id": w["order_item_id"], "qty": w["qty"]} for w in wanted],
            "tracks": [dict(t) for t in body.get("tracks") or []],
            "comments": [dict(comment)] if isinstance(comment, dict) else [],
            "notify": bool(body.get("notify")),
        }
        if all(_to_ship(i) <= 0 for i in by_id.values()):
            order.update(state="complete", status="complete")
        order["updated_at"] = self.wall_time()
        return shipment_id

    def _save_source_items(self, *, body: dict[str, Any], **_: Any) -> Any:
        if "sourceItems" not in body:
            raise MagentoError(400, REQUIRED, {"fieldName": "sourceItems"})
        items = body["sourceItems"]
        if not isinstance(items, list):
            raise MagentoError(400, "Decoding error.")
        if self.input_limits and len(items) > self.input_list_limit:
            raise MagentoError(
                400,
                'Maximum items of type "%type" is %max',
                {"type": SOURCE_ITEM_TYPE, "max": self.input_list_limit},
            )
        if not items:
            raise MagentoError(400, "Input data is empty")
        for item in items:
            for field in ("sku", "source_code"):
                if not str(item.get(field) or "").strip():
                    raise MagentoError(400, f'Validation Failed: "{field}" can not be empty.')
            if item.get("status") not in (0, 1):
                raise MagentoError(400, 'Validation Failed: "status" should be numeric.')
        # Saved in one statement: an unknown source or SKU fails the whole batch.
        if any(
            i["source_code"] not in self.sources or i["sku"] not in self.products for i in items
        ):
            raise MagentoError(400, "Could not save Source Item")
        for item in items:
            quantity = Decimal(str(item.get("quantity", 0)))
            self.source_items[(item["sku"], item["source_code"])] = (quantity, item["status"])
        return []


def _to_ship(item: dict[str, Any]) -> Decimal:
    ordered = Decimal(str(item.get("qty_ordered", 0)))
    return (
        ordered
        - Decimal(str(item.get("qty_shipped", 0)))
        - Decimal(str(item.get("qty_canceled", 0)))
    )


def _criteria(query: str) -> dict[str, Any]:
    """searchCriteria[a][0][b]=v as nested dicts."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if not key.startswith("searchCriteria"):
            continue
        parts = re.findall(r"\[([^\]]*)\]", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = value
    return root


def _key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float | Decimal):
        return (0, Decimal(str(value)))
    return (1, str(value))


def _matches(row: dict[str, Any], where: dict[str, str]) -> bool:
    actual, wanted = row.get(where.get("field", "")), where.get("value", "")
    if actual is None:
        return False
    if isinstance(actual, int | float | Decimal):
        left: Any = Decimal(str(actual))
        right: Any = Decimal(wanted)
    else:
        left, right = str(actual), wanted
    condition = where.get("condition_type", "eq")
    tests: dict[str, bool] = {
        "eq": left == right,
        "neq": left != right,
        "gt": left > right,
        "gteq": left >= right,
        "lt": left < right,
        "lteq": left <= right,
    }
    if condition == "in":
        return str(actual) in wanted.split(",")
    return tests[condition]


def _us_address() -> dict[str, Any]:
    return {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "street": ["1 Infinite Loop", "Suite 2"],
        "city": "Cupertino",
        "region": "California",
        "region_code": "CA",
        "postcode": "95014",
        "country_id": "US",
        "telephone": "+1 408 555 0100",
    }
