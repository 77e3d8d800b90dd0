"""A fake ShipBob (API 2026-01) after its published OpenAPI specification and guides: a PAT, the
channel header, Orders.CreateOrderModel checked, ReferenceIds lookups, cancel, shipments, stock,
webhooks, 429 with x-retry-after. Its own choices: docs/fulfillment.md, "ShipBob"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.clock import MovableClock

VERSION = "/2026-01"
PER_MINUTE = 150
ORDER_TYPES = {"DTC", "DropShip", "B2B"}
# Webhooks.Topics
TOPICS = {
    "order.shipped", "order.shipment.delivered", "order.shipment.exception",
    "order.shipment.on_hold", "order.shipment.cancelled", "return.created", "return.updated",
    "return.completed", "billing.charge.created", "billing.refund.created",
    "billing.credit.created",
}  # fmt: skip


class Problem(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def invalid(field: str, message: str, status: int = 422) -> Problem:
    """Orders' 400/422 bodies: field names to lists of messages."""
    return Problem(status, {field: [message]})


class FakeShipBob:
    def __init__(self, clock: MovableClock | None = None) -> None:
        self.clock = clock or MovableClock()
        self.token = "pat-" + uuid.uuid4().hex
        self.channel_id = 424242
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[str, dict[str, Any]] = {}
        self.on_hand: dict[str, int] = {}
        self.requests: list[tuple[str, str]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.rate_limited = 0
        self._ids = itertools.count(7_000_001)
        self._failures: list[int] = []
        self._throttle: list[int] = []
        self._calls: list[float] = []
        self.app = Starlette(
            routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST", "DELETE"])]
        )

    # Knobs -----------------------------------------------------------------------------------

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def throttle_next(self, count: int, *, retry_after: int = 25) -> None:
        """The next requests are answered 429, asking to wait `retry_after` seconds."""
        self._throttle.extend([retry_after] * count)

    def set_stock(self, sku: str, on_hand: int) -> None:
        self.on_hand[sku] = on_hand
        self.products.setdefault(sku, {"id": next(self._ids), "name": sku})

    def by_reference(self, reference: str) -> dict[str, Any]:
        return next(o for o in self.orders.values() if o["reference_id"] == reference)

    def ship(
        self,
        reference: str,
        *,
        tracking_number: str = "1Z999AA10123456784",
        carrier: str = "UPS",
        units: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """The warehouse sends (some of) the order: a shipment completes with its tracking, and
        the units leave ShipBob's on-hand."""
        order = self.by_reference(reference)
        waiting = next(s for s in order["shipments"] if s["status"] == "Processing")
        wanted = units or {p["reference_id"]: _units(p) for p in waiting["products"]}
        shipment = waiting
        if units is not None and units != {
            p["reference_id"]: _units(p) for p in waiting["products"]
        }:
            shipment = self._split(order, waiting, units)
        shipment.update(
            status="Completed",
            actual_fulfillment_date=self._now(),
            tracking={
                "carrier": carrier,
                "carrier_service": "Ground",
                "tracking_number": tracking_number,
                "tracking_url": f"https://track.example/{tracking_number}",
            },
        )
        for sku, quantity in wanted.items():
            self.on_hand[sku] = self.on_hand.get(sku, 0) - quantity
        if all(s["status"] in ("Completed", "Cancelled") for s in order["shipments"]):
            order["status"] = "Fulfilled"
        else:
            order["status"] = "PartiallyFulfilled"
        return shipment

    def cancel_here(self, reference: str) -> None:
        """Someone cancels the order in ShipBob's Merchant App."""
        order = self.by_reference(reference)
        order["status"] = "Cancelled"
        for shipment in order["shipments"]:
            shipment["status"] = "Cancelled"

    # The API ---------------------------------------------------------------------------------

    async def _dispatch(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.requests.append((request.method, path))
        try:
            self._admit(request)
            if not path.startswith(VERSION + "/"):
                raise Problem(404, {"message": "Not Found"})
            route = path[len(VERSION) :]
            body = await self._route(request, route)
        except Problem as problem:
            return JSONResponse(problem.body, status_code=problem.status, headers=problem.headers)
        status = 201 if request.method == "POST" and route == "/order" else 200
        return JSONResponse(body, status_code=status)

    def _admit(self, request: Request) -> None:
        if self._throttle or self._over_limit():
            self.rate_limited += 1
            wait = self._throttle.pop(0) if self._throttle else 60
            raise Problem(
                429,
                {
                    "statusCode": 429,
                    "message": f"Rate limit is exceeded. Try again in {wait} seconds.",
                },
                {"x-retry-after": str(wait), "x-remaining-calls": "0"},
            )
        if self._failures:
            raise Problem(self._failures.pop(0), {"message": "Service Unavailable"})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise Problem(401, {"message": "Authorization has been denied for this request."})

    def _over_limit(self) -> bool:
        now = self.clock.now()
        self._calls = [t for t in self._calls if t > now - 60] + [now]
        return len(self._calls) > PER_MINUTE

    async def _route(self, request: Request, route: str) -> Any:
        method = request.method
        if method == "GET" and route == "/channel":
            return {"items": [self._channel()], "next": None, "prev": None}
        if method == "POST" and route == "/order":
            return self._create(request, await _json(request))
        if method == "GET" and route == "/order":
            return self._find(request)
        if method == "POST" and route.startswith("/order/") and route.endswith(":cancel"):
            return self._cancel(route.removeprefix("/order/").removesuffix(":cancel"))
        if method == "GET" and route == "/inventory-level":
            return self._inventory(request)
        if method == "POST" and route == "/webhook":
            return self._subscribe(await _json(request))
        raise Problem(404, {"message": "Not Found"})

    def _channel(self) -> dict[str, Any]:
        return {
            "id": self.channel_id,
            "name": "Orderly",
            "application_name": "SMA",
            "scopes": ["orders_read", "orders_write", "inventory_read"],
        }

    def _create(self, request: Request, body: Any) -> dict[str, Any]:
        channel = request.headers.get("shipbob_channel_id")
        if channel is None:
            raise invalid("shipbob_channel_id", "The shipbob_channel_id header is required.", 400)
        if channel != str(self.channel_id):
            raise Problem(403, {"message": "No access to this channel"})
        if not isinstance(body, dict):
            raise invalid("body", "A non-empty request body is required.", 400)
        for field in ("products", "recipient", "reference_id", "shipping_method", "type"):
            if body.get(field) in (None, "", []):
                raise invalid(field, f"The {field} field is required.", 400)
        reference = str(body["reference_id"])
        if len(reference) > 300:
            raise invalid("reference_id", "reference_id must be at most 300 characters.")
        if body["type"] not in ORDER_TYPES:
            raise invalid("type", "The value is not a valid order type.")
        if body["type"] != "DTC" and not (
            body.get("retailer_program_data") and body.get("shipping_terms")
        ):
            raise invalid("retailer_program_data", "Required for DropShip and B2B orders.")
        if any(o["reference_id"] == reference for o in self.orders.values()):
            raise invalid("reference_id", f"An order with reference id {reference} already exists.")
        recipient = body["recipient"]
        address = recipient.get("address") or {}
        if not recipient.get("name"):
            raise invalid("recipient.name", "The name field is required.", 400)
        for field in ("address1", "city", "country"):
            if not address.get(field):
                raise invalid(f"recipient.address.{field}", f"The {field} field is required.", 400)
        products = [self._product(i, p) for i, p in enumerate(body["products"])]
        order_id = next(self._ids)
        shipment = {
            "id": next(self._ids),
            "order_id": order_id,
            "reference_id": reference,
            "status": "Processing",
            "created_date": self._now(),
            "products": products,
            "tracking": None,
            "location": {"id": body.get("location_id") or 8, "name": "Cicero (IL)"},
        }
        order = {
            "id": order_id,
            "reference_id": reference,
            "order_number": body.get("order_number") or reference,
            "status": "Processing",
            "type": body["type"],
            "created_date": self._now(),
            "shipping_method": body["shipping_method"],
            "recipient": recipient,
            "products": [
                {"id": p["id"], "reference_id": p["reference_id"], "quantity": _units(p)}
                for p in products
            ],
            "shipments": [shipment],
            "channel": {"id": self.channel_id, "name": "Orderly"},
        }
        self.orders[order_id] = order
        return order

    def _product(self, index: int, given: Any) -> dict[str, Any]:
        where = f"products[{index}]"
        if not isinstance(given, dict) or not isinstance(given.get("quantity"), int):
            raise invalid(f"{where}.quantity", "The quantity field is required.", 400)
        if given["quantity"] < 1:
            raise invalid(f"{where}.quantity", "Quantity must be at least 1.")
        reference = given.get("reference_id")
        if not reference:
            raise invalid(f"{where}.reference_id", "The reference_id field is required.", 400)
        known = self.products.get(reference)
        if known is None:
            # ShipBob makes the product from its reference id, given a name.
            if not given.get("name"):
                raise invalid(f"{where}.name", "Name is required for a new product.")
            known = self.products[reference] = {"id": next(self._ids), "name": given["name"]}
        return {
            "id": known["id"],
            "reference_id": reference,
            "sku": reference,
            "name": known["name"],
            "inventory_items": [
                {"id": known["id"], "name": known["name"], "quantity": given["quantity"],
                 "quantity_committed": given["quantity"]}
            ],
        }  # fmt: skip

    def _find(self, request: Request) -> list[dict[str, Any]]:
        wanted = request.query_params.get("ReferenceIds")
        found = list(self.orders.values())
        if wanted is not None:
            references = set(wanted.split(","))
            found = [o for o in found if o["reference_id"] in references]
        limit = int(request.query_params.get("Limit", 50))
        if not 1 <= limit <= 250:
            raise invalid("Limit", "Limit must be between 1 and 250.", 400)
        return found[:limit]

    def _cancel(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(int(order_id)) if order_id.isdigit() else None
        if order is None:
            raise Problem(404, {"message": "Not Found"})
        left = [s for s in order["shipments"] if s["status"] == "Completed"]
        results = [
            {"shipment_id": s["id"], "action": "Cancel", "is_success": not left,
             "reason": "Shipment already completed" if s in left else None}
            for s in order["shipments"]
        ]  # fmt: skip
        if not left:
            self.cancel_here(order["reference_id"])
        status = "Failure" if left else "Success"
        return {"order_id": order["id"], "status": status, "canceled_shipment_results": results}

    def _subscribe(self, body: Any) -> dict[str, Any]:
        """Webhooks.V2.CreateSubscriptionRequest: an https URL and known topics."""
        if not isinstance(body, dict) or not str(body.get("url", "")).startswith("https://"):
            raise invalid("url", "The URL must use HTTPS.")
        unknown = set(body.get("topics") or []) - TOPICS
        if not body.get("topics") or unknown:
            raise invalid("topics", f"Unknown topics: {sorted(unknown)}")
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        subscription = {
            "id": str(next(self._ids)),
            "url": body["url"],
            "topics": body["topics"],
            "secret": secret,
            "created_at": self._now(),
            "description": body.get("description"),
        }
        self.subscriptions.append(subscription)
        return subscription

    def delivery(
        self, reference: str, topic: str = "order.shipped"
    ) -> tuple[dict[str, str], bytes]:
        """What ShipBob posts to the subscribed URL about an order, signed with the secret."""
        [subscription] = self.subscriptions
        order = self.by_reference(reference)
        body = json.dumps({"topic": topic, "data": order["shipments"][-1]}).encode()
        delivery, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
        key = base64.b64decode(subscription["secret"].removeprefix("whsec_"))
        mac = hmac.new(key, f"{delivery}.{stamp}.".encode() + body, hashlib.sha256).digest()
        headers = {
            "webhook-id": delivery,
            "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
            "x-webhook-topic": topic,
            "content-type": "application/json",
        }
        return headers, body

    def _inventory(self, request: Request) -> dict[str, Any]:
        size = int(request.query_params.get("PageSize", 50))
        start = int(request.query_params.get("Cursor", 0))
        items = [
            {
                "inventory_id": self.products[sku]["id"],
                "name": self.products[sku]["name"],
                "sku": sku,
                "total_on_hand_quantity": units,
                "total_committed_quantity": 0,
                "total_fulfillable_quantity": units,
            }
            for sku, units in sorted(self.on_hand.items())
        ]
        page = items[start : start + size]
        more = start + size < len(items)
        next_url = (
            f"{VERSION}/inventory-level?PageSize={size}&Cursor={start + size}" if more else None
        )
        return {"items": page, "next": next_url, "prev": None, "first": None, "last": None}

    def _split(
        self, order: dict[str, Any], waiting: dict[str, Any], units: dict[str, int]
    ) -> dict[str, Any]:
        """Some of the units leave now in a shipment of their own; the rest keep waiting."""
        part = {**waiting, "id": next(self._ids), "products": []}
        for product in waiting["products"]:
            take = units.get(product["reference_id"], 0)
            if take:
                item = {**product["inventory_items"][0], "quantity": take}
                part["products"].append({**product, "inventory_items": [item]})
                product["inventory_items"][0]["quantity"] -= take
        waiting["products"] = [p for p in waiting["products"] if _units(p)]
        order["shipments"].append(part)
        return part

    def _now(self) -> str:
        return datetime.now(UTC).isoformat()


def _units(product: dict[str, Any]) -> int:
    return sum(int(i["quantity"]) for i in product["inventory_items"])


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise invalid("body", "The request body is not valid JSON.", 400) from None
