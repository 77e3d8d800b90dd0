"""A fake Etsy shop behind Open API v3, after Etsy's OpenAPI spec and developer docs (the sources
in docs/channels.md, Etsy): it refuses what Etsy refuses, counts the rate limits and token hours
on a MovableClock, and takes the strict side, named at `FakeEtsy`, where Etsy is silent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import uuid
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderly.kit.clock import utcnow
from tests.clock import MovableClock

TOKEN_LIFETIME = 3600
PAGE_MAX = 100
BUCKET_SECONDS = 7200  # the day is 12 buckets of two hours
BUCKETS_A_DAY = 12
MIN_TIMESTAMP = 946684800
MAX_QUANTITY = 999
CARRIERS = {"usps", "ups", "fedex", "dhl", "dhl-express", "royal-mail", "canada-post", "other"}
LISTING_STATES = {"active", "inactive", "sold_out", "draft", "expired"}
ON_PROPERTY = (
    "price_on_property",
    "quantity_on_property",
    "sku_on_property",
    "readiness_state_on_property",
)
PRODUCT_KEYS = {"sku", "property_values", "offerings"}
VALUE_KEYS = {"property_id", "value_ids", "scale_id", "property_name", "values"}
OFFERING_KEYS = {"price", "quantity", "is_enabled", "readiness_state_id"}
SIZE_PROPERTY = 100
DIVISORS = {"JPY": 1}


class Refusal(Exception):
    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        self.status, self.error, self.description = status, error, description


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "divisor": DIVISORS.get(currency, 100), "currency_code": currency}


def cents(amount: str, currency: str) -> int:
    return int(Decimal(amount) * DIVISORS.get(currency, 100))


def standard_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


class FakeEtsy:
    """Strict where Etsy's documents are silent: a refresh token serves once, an unknown field
    in the inventory's write shape is refused, only a short list of carriers is taken, and a
    429 carries Retry-After (unless `retry_after_on_429` is off) and no rate headers."""

    platform = "etsy"

    def __init__(self, clock: MovableClock | None = None) -> None:
        self.clock = clock or MovableClock()
        self.keystring = uuid.uuid4().hex[:24]
        self.shared_secret = uuid.uuid4().hex[:10]
        self.user_id = 40_000_000 + uuid.uuid4().int % 1_000_000
        self.shop_id = 20_000_000 + uuid.uuid4().int % 1_000_000
        self.webhook_secret = "whsec_" + base64.b64encode(uuid.uuid4().bytes * 2).decode()
        self.per_second, self.per_day = 10, 10_000
        self.retry_after_on_429 = True
        self.rate_limited = 0
        self.refreshes = 0
        self.expired_tokens_seen = 0
        # Called after each page of receipts is served (another writer changes the shop).
        self.after_receipts_page: Callable[[], None] | None = None
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, str, Any]] = []
        self.receipts: dict[int, dict[str, Any]] = {}
        self.listings: dict[int, dict[str, Any]] = {}
        self.seconds_per_change = 1
        self._tokens: dict[str, float] = {}
        self._refresh_tokens: set[str] = set()
        self._codes: dict[str, tuple[str, str]] = {}
        self._second: deque[float] = deque()
        self._buckets: dict[int, int] = {}
        self._failures: list[int] = []
        self._throttle = 0
        self._ids = itertools.count(1_000_001)
        self._wall = int(utcnow().timestamp()) - 86_400
        self.access_token, self.refresh_token = self._issue()
        self._app = Starlette(
            routes=[Route("/v3/{path:path}", self._dispatch, methods=["GET", "POST", "PUT"])]
        )
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("GET", re.compile(r"users/me"), self._me),
            ("GET", re.compile(r"shops/(\d+)/receipts"), self._list_receipts),
            ("GET", re.compile(r"shops/(\d+)/receipts/(\d+)"), self._get_receipt),
            ("POST", re.compile(r"shops/(\d+)/receipts/(\d+)/tracking"), self._tracking),
            ("GET", re.compile(r"shops/(\d+)/listings"), self._list_listings),
            ("GET", re.compile(r"listings/(\d+)/inventory"), self._get_inventory),
            ("PUT", re.compile(r"listings/(\d+)/inventory"), self._put_inventory),
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
        return {
            "keystring": self.keystring,
            "shared_secret": self.shared_secret,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "webhook_secret": self.webhook_secret,
        }

    def _id(self) -> int:
        return next(self._ids)

    def _tick(self) -> int:
        self._wall += self.seconds_per_change
        return self._wall

    def _issue(self) -> tuple[str, str]:
        access = f"{self.user_id}.{uuid.uuid4().hex}"
        refresh = f"{self.user_id}.{uuid.uuid4().hex}"
        self._tokens[access] = self.clock.now() + TOKEN_LIFETIME
        self._refresh_tokens.add(refresh)
        return access, refresh

    def authorize(self, *, challenge: str, redirect_uri: str) -> str:
        """The seller approves the app: the code Etsy sends to the redirect URI."""
        code = uuid.uuid4().hex
        self._codes[code] = (challenge, redirect_uri)
        return code

    # Catalog

    def add_listing(
        self,
        products: list[tuple[str, int]],
        *,
        price: str = "10.00",
        prices: list[str] | None = None,
        currency: str = "USD",
        state: str = "active",
        processing_profile: bool = True,
    ) -> int:
        """A listing of (sku, quantity) products; several products vary by size, each with its
        own SKU, quantity and (with `prices`) price."""
        listing_id = self._id()
        varied = len(products) > 1
        rows = []
        for index, (sku, quantity) in enumerate(products):
            offering: dict[str, Any] = {
                "offering_id": self._id(),
                "quantity": quantity,
                "is_enabled": True,
                "is_deleted": False,
                "price": money(
                    cents((prices or [price] * len(products))[index], currency), currency
                ),
            }
            if processing_profile:
                offering["readiness_state_id"] = 5551
            values = (
                [
                    {
                        "property_id": SIZE_PROPERTY,
                        "property_name": "Size",
                        "scale_id": 327,
                        "scale_name": "Letter",
                        "value_ids": [8000 + index],
                        "values": [f"Size {index + 1}"],
                    }
                ]
                if varied
                else []
            )
            rows.append(
                {
                    "product_id": self._id(),
                    "sku": sku,
                    "is_deleted": False,
                    "offerings": [offering],
                    "property_values": values,
                }
            )
        on = [SIZE_PROPERTY] if varied else []
        inventory: dict[str, Any] = {
            "products": rows,
            "price_on_property": on if prices else [],
            "quantity_on_property": on,
            "sku_on_property": on,
            "readiness_state_on_property": [],
        }
        self.listings[listing_id] = {
            "listing_id": listing_id,
            "shop_id": self.shop_id,
            "title": f"Listing of {products[0][0]}",
            "state": state,
            "has_variations": varied,
            "inventory": inventory,
        }
        return listing_id

    def add_product(self, sku: str, *, variant: bool = False, quantity: int = 5) -> None:
        """`variant`: the SKU is one size of a listing whose other size has its own SKU."""
        products = [(sku, quantity)] + ([(f"{sku}-XL", quantity)] if variant else [])
        self.add_listing(products)

    def _product_of(self, sku: str) -> tuple[int, dict[str, Any]] | None:
        for listing_id, listing in self.listings.items():
            for product in listing["inventory"]["products"]:
                if product["sku"] == sku and not product["is_deleted"]:
                    return listing_id, product
        return None

    def available(self, sku: str, location: str | None = None) -> int | None:
        found = self._product_of(sku)
        return int(found[1]["offerings"][0]["quantity"]) if found else None

    def price_of(self, sku: str) -> tuple[int, int]:
        """The SKU's offering price as Etsy keeps it: (amount, divisor)."""
        found = self._product_of(sku)
        assert found is not None
        price = found[1]["offerings"][0]["price"]
        return int(price["amount"]), int(price["divisor"])

    # Orders

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        currency: str = "USD",
        unit_price: str = "10.00",
        tax: str = "0",
        vat: str = "0",
        discount: str = "0",
        shipping: str = "0",
        paid: bool = True,
        buyer_email: str | None = "buyer@example.com",
        ship_within_days: list[int] | None = None,
        digital: list[str] | None = None,
        country: str = "US",
    ) -> str:
        """A receipt for (sku, quantity) lines at `unit_price`, shipped to one address; each
        line may have its own expected ship date (days after the order)."""
        receipt_id = self._id()
        created = self._tick()
        transactions = []
        for index, (sku, quantity) in enumerate(lines):
            found = self._product_of(sku)
            days = (ship_within_days or [3] * len(lines))[index]
            transactions.append(
                {
                    "transaction_id": self._id(),
                    "title": f"Listing of {sku}",
                    "receipt_id": receipt_id,
                    "quantity": quantity,
                    "sku": sku,
                    "listing_id": found[0] if found else None,
                    "product_id": found[1]["product_id"] if found else None,
                    "is_digital": sku in (digital or []),
                    "price": money(cents(unit_price, currency), currency),
                    "shipping_cost": money(0, currency),
                    "create_timestamp": created,
                    "created_timestamp": created,
                    "expected_ship_date": created + days * 86_400,
                    "buyer_coupon": 0,
                    "shop_coupon": 0,
                }
            )
        items = sum(cents(unit_price, currency) * q for _, q in lines)
        off, fees = cents(discount, currency), cents(tax, currency) + cents(vat, currency)
        grand = items - off + fees + cents(shipping, currency)
        self.receipts[receipt_id] = {
            "receipt_id": receipt_id,
            "receipt_type": 0,
            "seller_user_id": self.user_id,
            "buyer_user_id": 77_000_001,
            "buyer_email": buyer_email,
            "name": "Jane Doe",
            "first_line": "666 Sussex St",
            "second_line": "Unit 4",
            "city": "San Antonio",
            "state": "TX",
            "zip": "78251",
            "country_iso": country,
            "formatted_address": "Jane Doe\n666 Sussex St\nUnit 4\nSan Antonio, TX 78251",
            "status": "paid" if paid else "payment processing",
            "payment_method": "cc",
            "message_from_buyer": "Please wrap it",
            "is_paid": paid,
            "is_shipped": False,
            "create_timestamp": created,
            "created_timestamp": created,
            "update_timestamp": created,
            "updated_timestamp": created,
            "is_gift": False,
            "grandtotal": money(grand, currency),
            "subtotal": money(items - off, currency),
            "total_price": money(items, currency),
            "total_shipping_cost": money(cents(shipping, currency), currency),
            "total_tax_cost": money(cents(tax, currency), currency),
            "total_vat_cost": money(cents(vat, currency), currency),
            "discount_amt": money(off, currency),
            "gift_wrap_price": money(0, currency),
            "shipments": [],
            "transactions": transactions,
            "refunds": [],
        }
        return str(receipt_id)

    def touch(self, platform_order_id: str) -> None:
        receipt = self.receipts[int(platform_order_id)]
        receipt["updated_timestamp"] = receipt["update_timestamp"] = self._tick()

    def cancel_order(self, platform_order_id: str) -> None:
        """The seller cancels in Shop Manager; Etsy refunds the buyer."""
        receipt = self.receipts[int(platform_order_id)]
        receipt["status"] = "canceled"
        receipt["refunds"].append(
            {"amount": receipt["grandtotal"], "reason": "canceled", "status": "refunded"}
        )
        self.touch(platform_order_id)

    def refund(self, platform_order_id: str, amount: str) -> None:
        receipt = self.receipts[int(platform_order_id)]
        currency = receipt["grandtotal"]["currency_code"]
        receipt["refunds"].append({"amount": money(cents(amount, currency), currency)})
        back = sum(r["amount"]["amount"] for r in receipt["refunds"])
        full = back >= receipt["grandtotal"]["amount"]
        receipt["status"] = "fully refunded" if full else "partially refunded"
        self.touch(platform_order_id)

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        return list(self.receipts[int(platform_order_id)]["shipments"])

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        kind = {"created": "order.paid", "updated": "order.paid", "cancelled": "order.canceled"}
        return self.signed_webhook(kind[event], receipt_id=platform_order_id)

    def signed_webhook(
        self,
        event_type: str,
        *,
        receipt_id: str,
        shop_id: int | None = None,
        sent_at: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """As Etsy posts it to an endpoint of the app's Webhook portal (the flat payload Etsy
        confirmed in open-api discussion 1564)."""
        shop = shop_id or self.shop_id
        payload = {
            "event_type": event_type,
            "resource_url": f"https://openapi.etsy.com/v3/application/shops/{shop}/receipts/"
            f"{receipt_id}",
            "shop_id": shop,
        }
        body = json.dumps(payload).encode()
        webhook_id = f"msg_{uuid.uuid4().hex}"
        timestamp = str(sent_at or int(utcnow().timestamp()))
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": standard_signature(
                self.webhook_secret, webhook_id, timestamp, body
            ),
        }
        return headers, body

    # Failures

    def revoke_refresh_tokens(self) -> None:
        """The seller changed their password, or removed the app: every refresh token dies."""
        self._refresh_tokens.clear()

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def rate_limit_next(self, count: int) -> None:
        self._throttle += count

    def calls(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def sent(self, method: str, path: str) -> list[Any]:
        return [b for m, p, b in self.bodies if m == method and p == path]

    # Plumbing

    async def _dispatch(self, request: Request) -> Response:
        path = request.path_params["path"].rstrip("/")
        self.requests.append((request.method, "/v3/" + path))
        if self._failures:
            return JSONResponse({"error": "Server Error"}, status_code=self._failures.pop(0))
        try:
            if path == "public/oauth/token" and request.method == "POST":
                return JSONResponse(await self._token(request))
            if not path.startswith("application/"):
                raise Refusal(404, "Not found")
            self._check_api_key(request)
            limited = self._rate_limit()
            if limited is not None:
                return limited
            self._check_token(request)
            result = await self._route(request, path.removeprefix("application/"))
        except Refusal as refusal:
            body = {"error": refusal.error}
            if refusal.description:
                body["error_description"] = refusal.description
            return JSONResponse(body, status_code=refusal.status)
        return JSONResponse(result, headers=self._limit_headers())

    def _check_api_key(self, request: Request) -> None:
        key = request.headers.get("x-api-key", "")
        keystring, _, secret = key.partition(":")
        if keystring != self.keystring:
            raise Refusal(403, "Invalid API key")
        if secret != self.shared_secret:
            raise Refusal(403, "Shared secret is required in x-api-key header")

    def _check_token(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if token not in self._tokens:
            raise Refusal(401, "invalid_token", "access token is invalid")
        if self.clock.now() >= self._tokens[token]:
            self.expired_tokens_seen += 1
            raise Refusal(401, "invalid_token", "access token is expired")

    def _day_used(self, now: float) -> int:
        current = int(now // BUCKET_SECONDS)
        return sum(n for b, n in self._buckets.items() if b > current - BUCKETS_A_DAY)

    def _rate_limit(self) -> Response | None:
        now = self.clock.now()
        while self._second and self._second[0] <= now - 1.0:
            self._second.popleft()
        wait: float | None = None
        if self._throttle > 0:
            self._throttle -= 1
            wait = 1.0
        elif len(self._second) >= self.per_second:
            wait = 1.0
        elif self._day_used(now) >= self.per_day:
            wait = (int(now // BUCKET_SECONDS) + 1) * BUCKET_SECONDS - now
        if wait is not None:
            self.rate_limited += 1
            headers = {"retry-after": str(max(1, int(wait)))} if self.retry_after_on_429 else {}
            return JSONResponse(
                {"error": "You have exceeded your rate limit"}, status_code=429, headers=headers
            )
        self._second.append(now)
        bucket = int(now // BUCKET_SECONDS)
        self._buckets[bucket] = self._buckets.get(bucket, 0) + 1
        return None

    def _limit_headers(self) -> dict[str, str]:
        now = self.clock.now()
        return {
            "x-limit-per-second": str(self.per_second),
            "x-remaining-this-second": str(max(self.per_second - len(self._second), 0)),
            "x-limit-per-day": str(self.per_day),
            "x-remaining-today": str(max(self.per_day - self._day_used(now), 0)),
        }

    async def _route(self, request: Request, path: str) -> Any:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if not match:
                continue
            allowed = True
            if method != request.method:
                continue
            args: list[Any] = [int(g) for g in match.groups()]
            if method in ("POST", "PUT"):
                if request.headers.get("content-type", "").split(";")[0] != "application/json":
                    raise Refusal(400, "Expected a JSON body")
                try:
                    body = json.loads(await request.body())
                except ValueError:
                    raise Refusal(400, "Expected a JSON body") from None
                self.bodies.append((method, f"/v3/application/{path}", body))
                args.append(body)
            return handler(request, *args)
        raise Refusal(405 if allowed else 404, "Method not allowed" if allowed else "Not found")

    async def _token(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            raise Refusal(400, "invalid_request", "the body must be form-encoded")
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        self.bodies.append(("POST", "/v3/public/oauth/token", form))
        if form.get("client_id") != self.keystring:
            raise Refusal(400, "invalid_client", "Invalid API key")
        grant = form.get("grant_type")
        if grant == "refresh_token":
            old = form.get("refresh_token", "")
            if old not in self._refresh_tokens:
                raise Refusal(400, "invalid_grant", "refresh_token is revoked")
            self._refresh_tokens.discard(old)  # strict: a refresh token serves once
            self.refreshes += 1
        elif grant == "authorization_code":
            challenge, redirect = self._codes.pop(form.get("code", ""), ("", ""))
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if not challenge or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                raise Refusal(400, "invalid_grant", "code_verifier is invalid")
            if form.get("redirect_uri") != redirect:
                raise Refusal(400, "invalid_grant", "redirect_uri does not match")
        else:
            raise Refusal(400, "unsupported_grant_type", f"grant_type {grant!r}")
        access, refresh = self._issue()
        self.access_token, self.refresh_token = access, refresh
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "refresh_token": refresh,
        }

    def _own_shop(self, shop_id: int) -> None:
        if shop_id != self.shop_id:
            raise Refusal(403, "The shop does not belong to the authenticated user")

    def _me(self, request: Request) -> Any:
        return {"user_id": self.user_id, "shop_id": self.shop_id}

    def _list_receipts(self, request: Request, shop_id: int) -> Any:
        self._own_shop(shop_id)
        query = request.query_params
        limit, offset = self._int(query, "limit", 25, 1, PAGE_MAX), self._int(query, "offset", 0, 0)
        sort_on = query.get("sort_on", "created")
        order = query.get("sort_order", "desc")
        if sort_on not in {"created", "updated", "receipt_id"}:
            raise Refusal(400, f"Invalid sort_on {sort_on!r}")
        if order not in {"asc", "ascending", "desc", "descending", "up", "down"}:
            raise Refusal(400, f"Invalid sort_order {order!r}")
        since = self._int(query, "min_last_modified", MIN_TIMESTAMP, MIN_TIMESTAMP)
        until = self._int(query, "max_last_modified", 2**40, MIN_TIMESTAMP)
        rows = [r for r in self.receipts.values() if since <= r["updated_timestamp"] <= until]
        field = {"created": "created_timestamp", "updated": "updated_timestamp"}.get(
            sort_on, "receipt_id"
        )
        rows.sort(
            key=lambda r: (r[field], r["receipt_id"]),
            reverse=order in {"desc", "descending", "down"},
        )
        page = [json.loads(json.dumps(r)) for r in rows[offset : offset + limit]]
        if self.after_receipts_page is not None:
            self.after_receipts_page()
        return {"count": len(rows), "results": page}

    @staticmethod
    def _int(query: Any, name: str, default: int, least: int, most: int | None = None) -> int:
        raw = query.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise Refusal(400, f"Invalid {name}: expected an integer") from None
        if value < least or (most is not None and value > most):
            raise Refusal(400, f"Invalid {name}: {value} is out of range")
        return value

    def _receipt(self, shop_id: int, receipt_id: int) -> dict[str, Any]:
        self._own_shop(shop_id)
        if receipt_id not in self.receipts:
            raise Refusal(404, f"Receipt {receipt_id} not found")
        return self.receipts[receipt_id]

    def _get_receipt(self, request: Request, shop_id: int, receipt_id: int) -> Any:
        return self._receipt(shop_id, receipt_id)

    def _tracking(self, request: Request, shop_id: int, receipt_id: int, body: Any) -> Any:
        receipt = self._receipt(shop_id, receipt_id)
        if receipt["status"] == "canceled":
            raise Refusal(409, "This receipt is canceled")
        code, carrier = body.get("tracking_code"), body.get("carrier_name")
        if code is not None and carrier is None:
            raise Refusal(400, "carrier_name is required with a tracking_code")
        if carrier is not None and str(carrier) not in CARRIERS:
            raise Refusal(400, f"Invalid carrier_name {carrier!r}")
        grand = receipt["grandtotal"]
        over_ten = grand["currency_code"] == "USD" and grand["amount"] > 10 * grand["divisor"]
        if receipt["country_iso"] == "US" and over_ten and not code:
            raise Refusal(400, "tracking_code and carrier_name are required for this receipt")
        if code is not None:
            receipt["shipments"].append(
                {
                    "receipt_shipping_id": self._id(),
                    "shipment_notification_timestamp": self._tick(),
                    "carrier_name": carrier,
                    "tracking_code": code,
                    "note_to_buyer": body.get("note_to_buyer"),
                }
            )
        receipt["is_shipped"], receipt["status"] = True, "completed"
        self.touch(str(receipt_id))
        return receipt

    def _list_listings(self, request: Request, shop_id: int) -> Any:
        self._own_shop(shop_id)
        query = request.query_params
        state = query.get("state", "active")
        if state not in LISTING_STATES:
            raise Refusal(400, f"Invalid state {state!r}")
        limit, offset = self._int(query, "limit", 25, 1, PAGE_MAX), self._int(query, "offset", 0, 0)
        includes = {i for v in query.getlist("includes") for i in v.split(",") if i}
        rows = [row for _, row in sorted(self.listings.items()) if row["state"] == state]
        page = []
        for row in rows[offset : offset + limit]:
            listing = {k: v for k, v in row.items() if k != "inventory"}
            listing["quantity"] = self._quantity(row)
            if "Inventory" in includes:
                listing["inventory"] = row["inventory"]
            page.append(listing)
        return {"count": len(rows), "results": page}

    @staticmethod
    def _quantity(row: dict[str, Any]) -> int:
        return sum(o["quantity"] for p in row["inventory"]["products"] for o in p["offerings"])

    def _listing(self, listing_id: int) -> dict[str, Any]:
        if listing_id not in self.listings:
            raise Refusal(404, f"Listing {listing_id} not found")
        return self.listings[listing_id]

    def _get_inventory(self, request: Request, listing_id: int) -> Any:
        inventory = self._listing(listing_id)["inventory"]
        return {**inventory, "listing": None}

    def _put_inventory(self, request: Request, listing_id: int, body: Any) -> Any:
        row = self._listing(listing_id)
        stored = row["inventory"]
        products = body.get("products")
        if not isinstance(products, list) or not products:
            raise Refusal(400, "Missing input parameter: [products]")
        unknown = set(body) - {"products", *ON_PROPERTY}
        if unknown:
            raise Refusal(400, f"Unknown parameter: {sorted(unknown)[0]}")
        profiled = any(
            o.get("readiness_state_id") for p in stored["products"] for o in p["offerings"]
        )
        written = [self._written_product(p, profiled) for p in products]
        offerings = [o for p in written for o in p["offerings"]]
        if not any(o["quantity"] > 0 for o in offerings):
            raise Refusal(400, "One offering must have quantity greater than 0")
        on = {key: list(body.get(key) or []) for key in ON_PROPERTY}
        self._check_on_property(written, on)
        currency = stored["products"][0]["offerings"][0]["price"]["currency_code"]
        divisor = DIVISORS.get(currency, 100)
        for product in written:
            product["product_id"], product["is_deleted"] = self._id(), False
            for offering in product["offerings"]:
                amount = Decimal(str(offering["price"])) * divisor
                if amount != amount.to_integral_value():
                    raise Refusal(400, f"Invalid price {offering['price']}")
                offering["price"] = money(int(amount), currency)
                offering["offering_id"], offering["is_deleted"] = self._id(), False
            for value in product["property_values"]:
                value.setdefault("scale_name", None)
        row["inventory"] = {"products": written, **on}
        return row["inventory"]

    @staticmethod
    def _written_product(product: Any, profiled: bool) -> dict[str, Any]:
        if not isinstance(product, dict) or set(product) - PRODUCT_KEYS:
            extra = sorted(set(product) - PRODUCT_KEYS) if isinstance(product, dict) else []
            raise Refusal(400, f"Unknown product field: {extra[0] if extra else product!r}")
        if "property_values" not in product:
            raise Refusal(400, "Property values can't be empty")
        values = []
        for value in product["property_values"]:
            if set(value) - VALUE_KEYS:
                raise Refusal(400, f"Unknown property field: {sorted(set(value) - VALUE_KEYS)[0]}")
            if not {"property_id", "value_ids", "values"} <= set(value):
                raise Refusal(400, "A property value needs property_id, value_ids and values")
            values.append(dict(value))
        offerings = []
        for offering in product.get("offerings") or []:
            if set(offering) - OFFERING_KEYS:
                field = sorted(set(offering) - OFFERING_KEYS)[0]
                raise Refusal(400, f"Unknown offering field: {field}")
            price, quantity = offering.get("price"), offering.get("quantity")
            if isinstance(price, bool) or not isinstance(price, int | float) or price <= 0:
                raise Refusal(400, f"Invalid offering price {price!r}: expected a float")
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise Refusal(400, f"Invalid offering quantity {quantity!r}")
            if not 0 <= quantity <= MAX_QUANTITY:
                raise Refusal(400, f"quantity must be between 0 and {MAX_QUANTITY}")
            if not isinstance(offering.get("is_enabled"), bool):
                raise Refusal(400, "is_enabled is required")
            if profiled and not offering.get("readiness_state_id"):
                raise Refusal(400, "readiness_state_id is required")
            offerings.append(dict(offering))
        if not offerings:
            raise Refusal(400, "A product needs an offering")
        return {"sku": product.get("sku") or "", "property_values": values, "offerings": offerings}

    @staticmethod
    def _check_on_property(products: list[dict[str, Any]], on: dict[str, list[Any]]) -> None:
        """What no property varies must be the same in every product."""
        checks = {
            "price_on_property": lambda p: p["offerings"][0]["price"],
            "quantity_on_property": lambda p: p["offerings"][0]["quantity"],
            "sku_on_property": lambda p: p["sku"],
        }
        for key, value_of in checks.items():
            if not on[key] and len({json.dumps(value_of(p)) for p in products}) > 1:
                raise Refusal(400, f"The products differ although {key} is empty")
