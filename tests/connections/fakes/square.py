"""A fake Square seller account, after Square's published API specification
(square/connect-api-specification `api.json`, Square-Version 2025-08-20) and its developer
documentation: Bearer tokens and the `Square-Version` header, SearchOrders (time filter that
must match the sort field, 10 locations, 1,000 a page, a cursor bound to its query),
RetrieveOrder, UpdateOrder (the order's version, idempotency keys, open API orders only),
the catalog's item variations, BatchChangeInventory (100 changes, quantities as strings,
idempotency keys), webhook subscriptions, and HMAC-SHA256 webhook signatures over the
notification URL and body. Refusals come as Square's `errors[]`.

Where the documents are silent the fake takes the strict side, and says so: a request with no
`Square-Version` is refused (Square would use the application's pinned version), and one bad
change refuses the whole inventory batch, naming it as `changes[i]...`."""

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
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderly.kit.clock import utcnow
from tests.clock import MovableClock

SQUARE_VERSION = "2025-08-20"
VERSION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SEARCH_LOCATIONS_MAX = 10
SEARCH_LIMIT_MAX = 1000
SEARCH_LIMIT_DEFAULT = 500
CATALOG_PAGE = 100
BATCH_RETRIEVE_MAX = 1000
BATCH_CHANGE_MAX = 100
ORDERS_BATCH_RETRIEVE_MAX = 100
IDEMPOTENCY_KEY_MAX = 128
COUNT_MAX_AGE = timedelta(hours=24)
FULFILLMENT_STATES = {"PROPOSED", "RESERVED", "PREPARED", "COMPLETED", "CANCELED", "FAILED"}
FINISHED = {"COMPLETED", "CANCELED", "FAILED"}
ORDER_EVENT_TYPES = {
    "order.created",
    "order.updated",
    "order.fulfillment.updated",
    "payment.created",
    "payment.updated",
    "inventory.count.updated",
}
EVENTS = {
    "created": "order.created",
    "updated": "order.updated",
    "cancelled": "order.updated",
    "fulfillment": "order.fulfillment.updated",
}
SHIPMENT_LIMITS = {"carrier": 50, "tracking_number": 100, "tracking_url": 2000}
METADATA_KEY_MAX, METADATA_VALUE_MAX, METADATA_ENTRIES_MAX = 60, 255, 10
INVALID = "INVALID_REQUEST_ERROR"


class Problem(Exception):
    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        self.status, self.errors = status, errors


def err(
    code: str, detail: str, field: str | None = None, category: str = INVALID
) -> dict[str, str]:
    found = {"category": category, "code": code, "detail": detail}
    if field:
        found["field"] = field
    return found


def refuse(status: int, code: str, detail: str, field: str | None = None) -> Problem:
    return Problem(status, [err(code, detail, field)])


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise refuse(400, "INVALID_TIME", f"Invalid RFC 3339 time {value!r}.", field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def minor(amount: str | Decimal, currency: str) -> int:
    digits = 0 if currency in {"JPY", "KRW"} else 2
    return int((Decimal(amount) * 10**digits).to_integral_value(ROUND_HALF_UP))


def cash(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def signed(signature_key: str, notification_url: str, body: bytes) -> str:
    mac = hmac.new(signature_key.encode(), notification_url.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


class FakeSquare:
    platform = "square"

    def __init__(self, clock: MovableClock | None = None) -> None:
        self.clock = clock or MovableClock()
        self.access_token = "EAAA" + uuid.uuid4().hex
        self.signature_key = "sig-" + uuid.uuid4().hex[:22]
        self.merchant_id = "MLFAKE" + uuid.uuid4().hex[:8].upper()
        self.notification_url = "https://orderly.example.com/hooks/square/7"
        # False: the token is a seller's OAuth token, which the subscriptions API refuses.
        self.personal_token = True
        self.rate_limited = 0
        self.version_mismatches = 0
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, str, Any]] = []
        self.versions_seen: list[str | None] = []
        self.locations: dict[str, dict[str, Any]] = {}
        self.catalog: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.counts: dict[tuple[str, str], str] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.seconds_per_change = 1.0  # 0: every change within the same millisecond
        self._wall = utcnow().replace(microsecond=0) - timedelta(days=1)
        self._ids = itertools.count(1000)
        self._failures: list[int] = []
        self._throttle = 0
        self._bump_before_update = 0
        self._cursors: dict[str, tuple[str, int, datetime]] = {}
        self._inventory_keys: dict[str, tuple[str, Any]] = {}
        self._update_keys: set[tuple[str, str]] = set()
        self.location_id = self.add_location("Main Street")
        self._app = Starlette(
            routes=[Route("/v2/{path:path}", self._dispatch, methods=["GET", "POST", "PUT"])]
        )
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("GET", re.compile(r"locations"), self._list_locations),
            ("POST", re.compile(r"orders/search"), self._search_orders),
            ("POST", re.compile(r"orders/batch-retrieve"), self._batch_retrieve_orders),
            ("GET", re.compile(r"orders/([^/]+)"), self._retrieve_order),
            ("PUT", re.compile(r"orders/([^/]+)"), self._update_order),
            ("POST", re.compile(r"catalog/batch-retrieve"), self._batch_retrieve_catalog),
            ("GET", re.compile(r"catalog/list"), self._list_catalog),
            ("POST", re.compile(r"inventory/changes/batch-create"), self._batch_change),
            ("GET", re.compile(r"webhooks/subscriptions"), self._list_subscriptions),
            ("PUT", re.compile(r"webhooks/subscriptions/([^/]+)"), self._update_subscription),
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
        return {"access_token": self.access_token, "webhook_signature_key": self.signature_key}

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def add_location(self, name: str, *, active: bool = True) -> str:
        location_id = self._id("L")
        self.locations[location_id] = {
            "id": location_id,
            "name": name,
            "status": "ACTIVE" if active else "INACTIVE",
            "merchant_id": self.merchant_id,
            "country": "US",
            "currency": "USD",
            "timezone": "America/Chicago",
        }
        return location_id

    def add_product(self, sku: str, *, variant: bool = False, price: str = "10.00") -> None:
        """An item with one variation carrying the SKU (`variant`: a second, SKU-less
        variation beside it, as an item with options has)."""
        item_id = self._id("ITEM")
        variations = [(sku, "Regular")] + ([("", "Large")] if variant else [])
        for variation_sku, name in variations:
            self._add_variation(item_id, variation_sku, name, price)

    def _add_variation(self, item_id: str, sku: str, name: str, price: str) -> str:
        variation_id = self._id("VAR")
        data: dict[str, Any] = {
            "item_id": item_id,
            "name": name,
            "pricing_type": "FIXED_PRICING",
            "price_money": cash(minor(price, "USD"), "USD"),
            "track_inventory": True,
            "sellable": True,
            "stockable": True,
        }
        if sku:
            data["sku"] = sku
        self.catalog[variation_id] = {
            "type": "ITEM_VARIATION",
            "id": variation_id,
            "updated_at": stamp(self._wall),
            "version": 1,
            "is_deleted": False,
            "present_at_all_locations": True,
            "item_variation_data": data,
        }
        return variation_id

    def variation_of(self, sku: str) -> str | None:
        return next(
            (
                i
                for i, v in self.catalog.items()
                if v["item_variation_data"].get("sku") == sku and not v["is_deleted"]
            ),
            None,
        )

    def delete_variation(self, sku: str) -> None:
        variation_id = self.variation_of(sku)
        assert variation_id is not None
        self.catalog[variation_id]["is_deleted"] = True

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        currency: str = "USD",
        unit_price: str = "10.00",
        tax_rate: str = "0",
        inclusive_tax: bool = False,
        discount: str = "0",
        shipping: str = "0",
        fulfillment: str | None = "SHIPMENT",
        tender: str | None = "CARD",
        card_status: str = "CAPTURED",
        state: str = "OPEN",
        made_in_pos: bool = False,
        location_id: str | None = None,
        custom_amount: str | None = None,
    ) -> str:
        """An order placed online (through the Orders API: it has a version), paid by card and
        to be shipped to one US address; the keywords make the other kinds."""
        order_id = self._id("ORD") + "SQ"
        items = [self._line_item(sku, quantity, unit_price, currency) for sku, quantity in lines]
        if custom_amount:
            amount = minor(custom_amount, currency)
            items.append(
                {
                    "uid": self._id("li-"),
                    "name": "Custom amount",
                    "quantity": "1",
                    "item_type": "CUSTOM_AMOUNT",
                    "base_price_money": cash(amount, currency),
                    "gross_sales_money": cash(amount, currency),
                    "total_discount_money": cash(0, currency),
                    "total_tax_money": cash(0, currency),
                    "total_money": cash(amount, currency),
                }
            )
        order: dict[str, Any] = {
            "id": order_id,
            "location_id": location_id or self.location_id,
            "source": {"name": "Point of Sale" if made_in_pos else "Square Online"},
            "line_items": items,
            "created_at": self._stamp(),
            "state": state,
        }
        self._price(order, currency, Decimal(tax_rate), inclusive_tax, discount)
        if Decimal(shipping):
            fee = minor(shipping, currency)
            order["service_charges"] = [
                {
                    "uid": self._id("sc-"),
                    "name": "Shipping",
                    "amount_money": cash(fee, currency),
                    "applied_money": cash(fee, currency),
                    "total_money": cash(fee, currency),
                    "total_tax_money": cash(0, currency),
                    "calculation_phase": "SUBTOTAL_PHASE",
                    "taxable": False,
                }
            ]
        self._totals(order, currency)
        if fulfillment:
            order["fulfillments"] = [self._fulfillment(fulfillment)]
        if tender:
            order["tenders"] = [self._tender(order, tender, card_status)]
        if not made_in_pos:
            order["version"] = 1
        order["updated_at"] = order["created_at"]
        if state in FINISHED:
            order["closed_at"] = order["created_at"]
        self.orders[order_id] = order
        return order_id

    def counter_sale(self, lines: list[tuple[str, int]], **kwargs: Any) -> str:
        """A sale rung up in Square Point of Sale and paid in cash: handed over at the counter,
        so COMPLETED, with no fulfillment, no customer and no version."""
        return self.place_order(
            lines,
            fulfillment=None,
            tender="CASH",
            state="COMPLETED",
            made_in_pos=True,
            **kwargs,
        )

    def _line_item(self, sku: str, quantity: int, unit_price: str, currency: str) -> dict[str, Any]:
        variation_id = self.variation_of(sku)
        base = minor(unit_price, currency)
        item: dict[str, Any] = {
            "uid": self._id("li-"),
            "name": f"Product {sku}",
            "variation_name": "Regular",
            "quantity": str(quantity),
            "item_type": "ITEM",
            "base_price_money": cash(base, currency),
            "variation_total_price_money": cash(base * quantity, currency),
            "gross_sales_money": cash(base * quantity, currency),
        }
        if variation_id:
            item["catalog_object_id"] = variation_id
            item["catalog_version"] = 1
        return item

    def _price(
        self, order: dict[str, Any], currency: str, rate: Decimal, inclusive: bool, discount: str
    ) -> None:
        """Square's arithmetic: an order-scoped fixed discount spread over the lines by their
        value, then a percentage tax on what is left, added on top or taken out of it."""
        items = [i for i in order["line_items"] if i["item_type"] == "ITEM"]
        gross = [i["gross_sales_money"]["amount"] for i in items]
        off = minor(discount, currency)
        shares = [off * g // sum(gross) for g in gross] if off and sum(gross) else [0] * len(gross)
        if shares:
            shares[-1] += off - sum(shares)
        if off:
            order["discounts"] = [
                {
                    "uid": "disc-1",
                    "name": "Coupon",
                    "type": "FIXED_AMOUNT",
                    "amount_money": cash(off, currency),
                    "applied_money": cash(off, currency),
                    "scope": "ORDER",
                }
            ]
        if rate:
            order["taxes"] = [
                {
                    "uid": "tax-1",
                    "name": "Sales tax",
                    "type": "INCLUSIVE" if inclusive else "ADDITIVE",
                    "percentage": str(rate * 100),
                    "scope": "ORDER",
                }
            ]
        for item, share in zip(items, shares, strict=True):
            net = Decimal(item["gross_sales_money"]["amount"] - share)
            if inclusive:
                tax = int((net * rate / (1 + rate)).to_integral_value(ROUND_HALF_UP))
                total = int(net)
            else:
                tax = int((net * rate).to_integral_value(ROUND_HALF_UP))
                total = int(net) + tax
            item["total_discount_money"] = cash(share, currency)
            item["total_tax_money"] = cash(tax, currency)
            item["total_money"] = cash(total, currency)
            if share:
                item["applied_discounts"] = [
                    {
                        "uid": self._id("ad-"),
                        "discount_uid": "disc-1",
                        "applied_money": cash(share, currency),
                    }
                ]
            if rate:
                item["applied_taxes"] = [
                    {
                        "uid": self._id("at-"),
                        "tax_uid": "tax-1",
                        "applied_money": cash(tax, currency),
                    }
                ]

    def _totals(self, order: dict[str, Any], currency: str) -> None:
        items, charges = order["line_items"], order.get("service_charges") or []

        def total(rows: list[dict[str, Any]], key: str) -> int:
            return sum((row.get(key) or {}).get("amount", 0) for row in rows)

        order["total_money"] = cash(
            total(items, "total_money") + total(charges, "total_money"), currency
        )
        order["total_tax_money"] = cash(total(items, "total_tax_money"), currency)
        order["total_discount_money"] = cash(total(items, "total_discount_money"), currency)
        order["total_tip_money"] = cash(0, currency)
        order["total_service_charge_money"] = cash(total(charges, "total_money"), currency)
        order["net_amounts"] = {
            "total_money": order["total_money"],
            "tax_money": order["total_tax_money"],
            "discount_money": order["total_discount_money"],
            "tip_money": cash(0, currency),
            "service_charge_money": order["total_service_charge_money"],
        }

    def _fulfillment(self, kind: str) -> dict[str, Any]:
        person = {
            "display_name": "Jane Doe",
            "email_address": "jane@example.com",
            "phone_number": "+15125550100",
        }
        fulfillment: dict[str, Any] = {
            "uid": self._id("ful-"),
            "type": kind,
            "state": "PROPOSED",
            "line_item_application": "ALL",
        }
        if kind == "SHIPMENT":
            address = {
                "address_line_1": "666 Sussex St",
                "address_line_2": "Unit 4",
                "locality": "San Antonio",
                "administrative_district_level_1": "TX",
                "postal_code": "78251",
                "country": "US",
            }
            fulfillment["shipment_details"] = {
                "recipient": {**person, "address": address},
                "placed_at": stamp(self._wall),
            }
        else:
            fulfillment["pickup_details"] = {
                "recipient": person,
                "schedule_type": "ASAP",
                "pickup_at": stamp(self._wall + timedelta(minutes=30)),
                "note": "Pick up at the front desk",
            }
        return fulfillment

    def _tender(self, order: dict[str, Any], kind: str, card_status: str) -> dict[str, Any]:
        payment_id = self._id("PAY")
        tender: dict[str, Any] = {
            "id": payment_id,
            "location_id": order["location_id"],
            "transaction_id": order["id"],
            "created_at": order["created_at"],
            "amount_money": order["total_money"],
            "type": kind,
            "payment_id": payment_id,
        }
        if kind == "CARD":
            tender["card_details"] = {
                "status": card_status,
                "card": {"card_brand": "VISA", "last_4": "1111"},
                "entry_method": "KEYED",
            }
        else:
            tender["cash_details"] = {
                "buyer_tendered_money": order["total_money"],
                "change_back_money": cash(0, order["total_money"]["currency"]),
            }
        return tender

    def cancel_order(self, platform_order_id: str) -> None:
        order = self.orders[platform_order_id]
        order["state"] = "CANCELED"
        for fulfillment in order.get("fulfillments") or []:
            fulfillment["state"] = "CANCELED"
        self._touch(order)

    def pay(self, platform_order_id: str) -> None:
        order = self.orders[platform_order_id]
        order["tenders"] = [self._tender(order, "CARD", "CAPTURED")]
        self._touch(order)

    def refund(self, platform_order_id: str, amount: str, *, status: str = "APPROVED") -> None:
        order = self.orders[platform_order_id]
        currency = order["total_money"]["currency"]
        order.setdefault("refunds", []).append(
            {
                "id": self._id("REF"),
                "location_id": order["location_id"],
                "transaction_id": order["id"],
                "tender_id": order["tenders"][0]["id"],
                "reason": "Returned",
                "amount_money": cash(minor(amount, currency), currency),
                "status": status,
            }
        )
        self._touch(order)

    def touch(self, platform_order_id: str) -> None:
        self._touch(self.orders[platform_order_id])

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        return self.signed_webhook(EVENTS[event], order_id=platform_order_id)

    def signed_webhook(
        self,
        event_type: str,
        *,
        order_id: str | None = None,
        merchant_id: str | None = None,
        url: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """As Square posts it to a subscription: signed with the subscription's key over its
        notification URL and the body."""
        object_type = event_type.replace(".", "_")
        data: dict[str, Any] = {"type": object_type, "id": order_id or self._id("OBJ")}
        if order_id:
            order = self.orders[order_id]
            data["object"] = {
                object_type: {
                    "order_id": order_id,
                    "version": order.get("version"),
                    "location_id": order["location_id"],
                    "state": order["state"],
                    "created_at": order["created_at"],
                    "updated_at": order["updated_at"],
                }
            }
        payload = {
            "merchant_id": merchant_id or self.merchant_id,
            "type": event_type,
            "event_id": str(uuid.uuid4()),
            "created_at": stamp(utcnow()),
            "data": data,
        }
        body = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "x-square-hmacsha256-signature": signed(
                self.signature_key, url or self.notification_url, body
            ),
            "square-environment": "Production",
        }
        return headers, body

    def subscribe(self, url: str, event_types: list[str]) -> str:
        """A subscription made in the Developer Console (its key is the fake's key)."""
        subscription_id = self._id("wbhk_")
        self.subscriptions[subscription_id] = {
            "id": subscription_id,
            "name": "Orderly",
            "enabled": True,
            "event_types": list(event_types),
            "notification_url": url,
            "api_version": SQUARE_VERSION,
            "created_at": stamp(self._wall),
            "updated_at": stamp(self._wall),
        }
        return subscription_id

    def available(self, sku: str, location: str | None = None) -> int | None:
        variation_id = self.variation_of(sku)
        if variation_id is None:
            return None
        count = self.counts.get((variation_id, location or self.location_id))
        return int(Decimal(count)) if count is not None else None

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        return [
            {"uid": f["uid"], "state": f["state"], **f["shipment_details"]}
            for f in self.orders[platform_order_id].get("fulfillments") or []
            if f["type"] == "SHIPMENT" and f["shipment_details"].get("tracking_number")
        ]

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def rate_limit_next(self, count: int) -> None:
        self._throttle += count

    def update_elsewhere_before_next_update(self) -> None:
        """Another application updates the order between the connector's read and its write."""
        self._bump_before_update += 1

    def calls(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def sent(self, method: str, path: str) -> list[Any]:
        return [b for m, p, b in self.bodies if m == method and p == path]

    # Plumbing

    def _stamp(self) -> str:
        self._wall += timedelta(seconds=self.seconds_per_change)
        return stamp(self._wall)

    def _touch(self, order: dict[str, Any]) -> None:
        order["updated_at"] = self._stamp()
        if order.get("version") is not None:
            order["version"] += 1
        if order["state"] in FINISHED:
            order.setdefault("closed_at", order["updated_at"])

    async def _dispatch(self, request: Request) -> Response:
        path = request.path_params["path"].rstrip("/")
        self.requests.append((request.method, "/v2/" + path))
        if self._failures:
            status = self._failures.pop(0)
            body = {"errors": [err("SERVICE_UNAVAILABLE", "Try again.", category="API_ERROR")]}
            return JSONResponse(body, status_code=status)
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            detail = "This request could not be authorized."
            body = {"errors": [err("UNAUTHORIZED", detail, category="AUTHENTICATION_ERROR")]}
            return JSONResponse(body, status_code=401)
        version = request.headers.get("square-version")
        self.versions_seen.append(version)
        try:
            if version is None:
                # Square itself falls back to the application's pinned version; refused here
                # so that a connector never depends on the Developer Console's setting.
                raise refuse(400, "MISSING_REQUIRED_PARAMETER", "Square-Version is missing.")
            if not VERSION_FORMAT.match(version):
                raise refuse(
                    400, "INVALID_SQUARE_VERSION_FORMAT", f"Invalid Square-Version {version!r}."
                )
            if self._throttle > 0:
                self._throttle -= 1
                self.rate_limited += 1
                detail = "This request was rate limited. Please retry later."
                raise Problem(429, [err("RATE_LIMITED", detail, category="RATE_LIMIT_ERROR")])
            result = await self._route(request, path)
        except Problem as problem:
            return JSONResponse({"errors": problem.errors}, status_code=problem.status)
        return JSONResponse(result, headers={"Square-Version": version})

    async def _route(self, request: Request, path: str) -> Any:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if not match:
                continue
            allowed = True
            if method != request.method:
                continue
            args: list[Any] = list(match.groups())
            if method in ("POST", "PUT"):
                if request.headers.get("content-type", "").split(";")[0] != "application/json":
                    raise refuse(415, "INVALID_CONTENT_TYPE", "Content-Type must be JSON.")
                try:
                    body = json.loads(await request.body())
                except ValueError:
                    raise refuse(400, "EXPECTED_JSON_BODY", "The body is not JSON.") from None
                if not isinstance(body, dict):
                    raise refuse(400, "EXPECTED_JSON_BODY", "The body must be an object.")
                self.bodies.append((method, "/v2/" + path, body))
                args.append(body)
            return handler(request, *args)
        if allowed:
            raise refuse(405, "METHOD_NOT_ALLOWED", "Method not allowed.")
        raise refuse(404, "NOT_FOUND", "Resource not found.")

    def _list_locations(self, request: Request) -> Any:
        return {"locations": sorted(self.locations.values(), key=lambda loc: loc["name"])}

    def _order(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.orders:
            raise refuse(404, "NOT_FOUND", f"Order with id {order_id} not found.", "order_id")
        return self.orders[order_id]

    def _retrieve_order(self, request: Request, order_id: str) -> Any:
        return {"order": self._order(order_id)}

    def _batch_retrieve_orders(self, request: Request, body: dict[str, Any]) -> Any:
        ids = body.get("order_ids")
        if not isinstance(ids, list) or not ids:
            raise refuse(400, "MISSING_REQUIRED_PARAMETER", "order_ids is required.", "order_ids")
        if len(ids) > ORDERS_BATCH_RETRIEVE_MAX:
            detail = f"At most {ORDERS_BATCH_RETRIEVE_MAX} orders a request."
            raise refuse(400, "ARRAY_LENGTH_TOO_LONG", detail, "order_ids")
        return {"orders": [self.orders[i] for i in ids if i in self.orders]}

    def _search_orders(self, request: Request, body: dict[str, Any]) -> Any:
        locations = body.get("location_ids")
        if not isinstance(locations, list) or not locations:
            detail = "location_ids is required."
            raise refuse(400, "MISSING_REQUIRED_PARAMETER", detail, "location_ids")
        if len(locations) > SEARCH_LOCATIONS_MAX:
            detail = f"At most {SEARCH_LOCATIONS_MAX} location ids."
            raise refuse(400, "ARRAY_LENGTH_TOO_LONG", detail, "location_ids")
        unknown = [loc for loc in locations if loc not in self.locations]
        if unknown:
            detail = f"Location {unknown[0]} not found for this merchant."
            raise refuse(400, "INVALID_VALUE", detail, "location_ids")
        limit = body.get("limit", SEARCH_LIMIT_DEFAULT)
        if not isinstance(limit, int) or limit < 1:
            raise refuse(400, "INVALID_VALUE", "limit must be a positive integer.", "limit")
        if limit > SEARCH_LIMIT_MAX:
            raise refuse(
                400, "VALUE_TOO_HIGH", f"limit may not exceed {SEARCH_LIMIT_MAX}.", "limit"
            )
        query = body.get("query") or {}
        fingerprint = json.dumps({"location_ids": locations, "query": query}, sort_keys=True)
        cursor = body.get("cursor")
        if cursor:
            known = self._cursors.get(cursor)
            if known is None or known[0] != fingerprint:
                detail = "The cursor does not belong to this query."
                raise refuse(400, "INVALID_CURSOR", detail, "cursor")
            _, offset, end = known
        else:
            offset, end = 0, utcnow()
        rows = self._matching(locations, query, end)
        chunk = rows[offset : offset + limit]
        answer: dict[str, Any] = {"orders": chunk} if chunk else {}
        if offset + limit < len(rows):
            token = uuid.uuid4().hex
            self._cursors[token] = (fingerprint, offset + limit, end)
            answer["cursor"] = token
        return answer

    def _matching(
        self, locations: list[str], query: dict[str, Any], end: datetime
    ) -> list[dict[str, Any]]:
        filters, sort = query.get("filter") or {}, query.get("sort") or {}
        sort_field = str(sort.get("sort_field") or "CREATED_AT")
        if sort_field not in {"CREATED_AT", "UPDATED_AT", "CLOSED_AT"}:
            raise refuse(400, "INVALID_ENUM_VALUE", "Unknown sort field.", "query.sort.sort_field")
        direction = str(sort.get("sort_order") or "DESC")
        rows = [o for o in self.orders.values() if o["location_id"] in locations]
        states = (filters.get("state_filter") or {}).get("states")
        if states is not None:
            rows = [o for o in rows if o["state"] in states]
        window = filters.get("date_time_filter") or {}
        if len(window) > 1:
            detail = "Only one time range may be filtered on."
            raise refuse(400, "INVALID_VALUE", detail, "query.filter.date_time_filter")
        for field, span in window.items():
            if field.upper() != sort_field:
                detail = f"sort_field must be {field.upper()} when filtering on {field}."
                raise refuse(400, "INVALID_VALUE", detail, "query.sort.sort_field")
            where = f"query.filter.date_time_filter.{field}"
            start = parse_time(span["start_at"], where) if span.get("start_at") else None
            stop = parse_time(span["end_at"], where) if span.get("end_at") else end
            rows = [
                o
                for o in rows
                if o.get(field)
                and (start is None or parse_time(o[field], field) >= start)
                and parse_time(o[field], field) <= stop
            ]
        key = sort_field.lower()
        rows = [o for o in rows if o.get(key)]
        rows.sort(key=lambda o: (parse_time(o[key], key), o["id"]), reverse=direction == "DESC")
        return rows

    def _update_order(self, request: Request, order_id: str, body: dict[str, Any]) -> Any:
        order = self._order(order_id)
        sparse = body.get("order")
        if not isinstance(sparse, dict):
            raise refuse(400, "MISSING_REQUIRED_PARAMETER", "order is required.", "order")
        key = body.get("idempotency_key")
        if key and (order_id, key) in self._update_keys:
            return {"order": order}  # a repeated key changes nothing and answers the order
        if self._bump_before_update:
            self._bump_before_update -= 1
            self._touch(order)
        if order.get("version") is None:
            detail = "Orders created by Square Point of Sale cannot be updated."
            raise refuse(400, "BAD_REQUEST", detail, "order_id")
        if "version" not in sparse:
            raise refuse(400, "BAD_REQUEST", "Missing required parameter.", "order.version")
        if sparse["version"] != order["version"]:
            self.version_mismatches += 1
            detail = (
                f"Supplied version {sparse['version']} does not match the current version "
                f"{order['version']} of order {order_id}."
            )
            raise refuse(400, "VERSION_MISMATCH", detail, "order.version")
        if order["state"] != "OPEN":
            detail = f"An order in state {order['state']} cannot be updated."
            raise refuse(400, "BAD_REQUEST", detail, "order.state")
        changes = [
            self._fulfillment_change(order, i, f)
            for i, f in enumerate(sparse.get("fulfillments") or [])
        ]
        new_state = sparse.get("state")
        if new_state not in (None, "OPEN", "CANCELED"):
            detail = f"An order cannot be set to {new_state} by an update."
            raise refuse(400, "INVALID_VALUE", detail, "order.state")
        for apply in changes:
            apply()
        if new_state:
            order["state"] = new_state
        if key:
            self._update_keys.add((order_id, key))
        self._touch(order)
        return {"order": order}

    def _fulfillment_change(
        self, order: dict[str, Any], index: int, change: dict[str, Any]
    ) -> Callable[[], None]:
        """Checks one sparse fulfillment and answers how to apply it."""
        where = f"order.fulfillments[{index}]"
        found = next(
            (f for f in order.get("fulfillments") or [] if f["uid"] == change.get("uid")), None
        )
        if found is None:
            raise refuse(400, "NOT_FOUND", "No fulfillment with that uid.", f"{where}.uid")
        state = change.get("state")
        if state is not None and state not in FULFILLMENT_STATES:
            raise refuse(400, "INVALID_ENUM_VALUE", f"Unknown state {state}.", f"{where}.state")
        if found["state"] in FINISHED and state is not None and state != found["state"]:
            detail = f"A {found['state']} fulfillment cannot become {state}."
            raise refuse(400, "BAD_REQUEST", detail, f"{where}.state")
        shipment = change.get("shipment_details") or {}
        for name, longest in SHIPMENT_LIMITS.items():
            if len(str(shipment.get(name) or "")) > longest:
                detail = f"{name} may be at most {longest} characters."
                raise refuse(400, "VALUE_TOO_LONG", detail, f"{where}.shipment_details.{name}")
        for kind in ("shipment_details", "pickup_details"):
            reason = (change.get(kind) or {}).get("cancel_reason")
            if reason is not None and len(str(reason)) > 100:
                field = f"{where}.{kind}.cancel_reason"
                raise refuse(400, "VALUE_TOO_LONG", "At most 100 characters.", field)
        metadata = {**(found.get("metadata") or {}), **(change.get("metadata") or {})}
        if len(metadata) > METADATA_ENTRIES_MAX or any(
            len(k) > METADATA_KEY_MAX or len(str(v)) > METADATA_VALUE_MAX
            for k, v in metadata.items()
        ):
            raise refuse(400, "INVALID_VALUE", "Metadata is too large.", f"{where}.metadata")

        def apply() -> None:
            for kind in ("shipment_details", "pickup_details"):
                if change.get(kind):
                    found.setdefault(kind, {}).update(change[kind])
            if change.get("metadata"):
                found["metadata"] = metadata
            if state is not None:
                found["state"] = state
                if state == "CANCELED":
                    details = found.get("shipment_details") or found.get("pickup_details") or {}
                    details.setdefault("canceled_at", stamp(self._wall))

        return apply

    def _batch_retrieve_catalog(self, request: Request, body: dict[str, Any]) -> Any:
        ids = body.get("object_ids")
        if not isinstance(ids, list) or not ids:
            raise refuse(400, "MISSING_REQUIRED_PARAMETER", "object_ids is required.", "object_ids")
        if len(ids) > BATCH_RETRIEVE_MAX:
            detail = f"At most {BATCH_RETRIEVE_MAX} object ids."
            raise refuse(400, "ARRAY_LENGTH_TOO_LONG", detail, "object_ids")
        deleted = bool(body.get("include_deleted_objects"))
        found = [
            self.catalog[i]
            for i in ids
            if i in self.catalog and (deleted or not self.catalog[i]["is_deleted"])
        ]
        return {"objects": found} if found else {}

    def _list_catalog(self, request: Request) -> Any:
        types = {t.strip().upper() for t in request.query_params.get("types", "").split(",")}
        rows = [
            obj
            for _, obj in sorted(self.catalog.items())
            if obj["type"] in types and not obj["is_deleted"]
        ]
        offset = 0
        cursor = request.query_params.get("cursor")
        if cursor:
            try:
                offset = int(base64.b64decode(cursor).decode())
            except ValueError:
                raise refuse(400, "INVALID_CURSOR", "Bad cursor.", "cursor") from None
        chunk = rows[offset : offset + CATALOG_PAGE]
        answer: dict[str, Any] = {"objects": chunk} if chunk else {}
        if offset + CATALOG_PAGE < len(rows):
            answer["cursor"] = base64.b64encode(str(offset + CATALOG_PAGE).encode()).decode()
        return answer

    def _batch_change(self, request: Request, body: dict[str, Any]) -> Any:
        key = body.get("idempotency_key")
        if not isinstance(key, str) or not key:
            detail = "idempotency_key is required."
            raise refuse(400, "MISSING_REQUIRED_PARAMETER", detail, "idempotency_key")
        if len(key) > IDEMPOTENCY_KEY_MAX:
            detail = f"idempotency_key may be at most {IDEMPOTENCY_KEY_MAX} characters."
            raise refuse(400, "VALUE_TOO_LONG", detail, "idempotency_key")
        fingerprint = json.dumps(
            {k: v for k, v in body.items() if k != "idempotency_key"}, sort_keys=True
        )
        if key in self._inventory_keys:
            first, answer = self._inventory_keys[key]
            if first != fingerprint:
                detail = "The idempotency key was used with another request."
                raise refuse(400, "IDEMPOTENCY_KEY_REUSED", detail, "idempotency_key")
            return answer
        changes = body.get("changes") or []
        if not isinstance(changes, list):
            raise refuse(400, "EXPECTED_ARRAY", "changes must be an array.", "changes")
        if len(changes) > BATCH_CHANGE_MAX:
            detail = f"At most {BATCH_CHANGE_MAX} changes a request."
            raise refuse(400, "ARRAY_LENGTH_TOO_LONG", detail, "changes")
        errors: list[dict[str, str]] = []
        counts: list[dict[str, Any]] = []
        for index, change in enumerate(changes):
            problems, count = self._check_count(index, change)
            errors.extend(problems)
            if count:
                counts.append(count)
        if errors:
            raise Problem(400, errors)  # one bad change refuses the batch
        now = stamp(utcnow())
        for count in counts:
            self.counts[(count["catalog_object_id"], count["location_id"])] = count["quantity"]
        answer = {
            "counts": [
                {
                    "catalog_object_id": c["catalog_object_id"],
                    "catalog_object_type": "ITEM_VARIATION",
                    "state": "IN_STOCK",
                    "location_id": c["location_id"],
                    "quantity": c["quantity"],
                    "calculated_at": now,
                }
                for c in counts
            ],
            "changes": [
                {
                    "type": "PHYSICAL_COUNT",
                    "physical_count": {**c, "id": uuid.uuid4().hex, "created_at": now},
                }
                for c in counts
            ],
        }
        self._inventory_keys[key] = (fingerprint, answer)
        return answer

    def _check_count(
        self, index: int, change: Any
    ) -> tuple[list[dict[str, str]], dict[str, Any] | None]:
        where = f"changes[{index}]"
        if not isinstance(change, dict) or change.get("type") != "PHYSICAL_COUNT":
            return [err("INVALID_VALUE", "Only PHYSICAL_COUNT is handled.", f"{where}.type")], None
        count = change.get("physical_count")
        if not isinstance(count, dict):
            detail = "physical_count is required."
            return [err("MISSING_REQUIRED_PARAMETER", detail, f"{where}.physical_count")], None
        where += ".physical_count"
        errors = []
        variation = self.catalog.get(str(count.get("catalog_object_id")))
        if variation is None or variation["is_deleted"]:
            detail = f"Catalog object {count.get('catalog_object_id')} not found."
            errors.append(err("NOT_FOUND", detail, f"{where}.catalog_object_id"))
        if count.get("location_id") not in self.locations:
            detail = f"Location {count.get('location_id')} not found."
            errors.append(err("INVALID_VALUE", detail, f"{where}.location_id"))
        quantity = count.get("quantity")
        if not isinstance(quantity, str):
            errors.append(err("EXPECTED_STRING", "Expected a string.", f"{where}.quantity"))
        else:
            try:
                value = Decimal(quantity)
            except InvalidOperation:
                value = Decimal(-1)
            exponent = value.as_tuple().exponent
            if value < 0 or not isinstance(exponent, int) or exponent < -5:
                detail = "quantity must be a non-negative decimal with at most 5 places."
                errors.append(err("INVALID_VALUE", detail, f"{where}.quantity"))
        if count.get("state") != "IN_STOCK":
            detail = "A physical count sets the IN_STOCK state."
            errors.append(err("INVALID_VALUE", detail, f"{where}.state"))
        try:
            occurred = parse_time(count.get("occurred_at"), f"{where}.occurred_at")
        except Problem as problem:
            errors.extend(problem.errors)
        else:
            now = utcnow()
            if occurred < now - COUNT_MAX_AGE or occurred > now + timedelta(minutes=1):
                detail = "occurred_at may be at most 24 hours old and not in the future."
                errors.append(err("INVALID_VALUE", detail, f"{where}.occurred_at"))
        return errors, (None if errors else count)

    def _list_subscriptions(self, request: Request) -> Any:
        if not self.personal_token:
            detail = "Webhook subscriptions need the application's personal access token."
            raise Problem(401, [err("UNAUTHORIZED", detail, category="AUTHENTICATION_ERROR")])
        enabled = request.query_params.get("include_disabled") == "true"
        rows = [s for s in self.subscriptions.values() if s["enabled"] or enabled]
        return {"subscriptions": rows} if rows else {}

    def _update_subscription(
        self, request: Request, subscription_id: str, body: dict[str, Any]
    ) -> Any:
        if not self.personal_token:
            detail = "Webhook subscriptions need the application's personal access token."
            raise Problem(401, [err("UNAUTHORIZED", detail, category="AUTHENTICATION_ERROR")])
        found = self.subscriptions.get(subscription_id)
        if found is None:
            raise refuse(404, "NOT_FOUND", "Subscription not found.", "subscription_id")
        change = body.get("subscription") or {}
        unknown = [e for e in change.get("event_types") or [] if e not in ORDER_EVENT_TYPES]
        if unknown:
            detail = f"Unknown event type {unknown[0]}."
            raise refuse(400, "INVALID_VALUE", detail, "subscription.event_types")
        found.update({k: v for k, v in change.items() if k in {"event_types", "enabled", "name"}})
        found["updated_at"] = stamp(utcnow())
        return {"subscription": found}
