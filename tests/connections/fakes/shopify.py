"""A fake Shopify shop: the GraphQL Admin API subset Orderly uses, with a schema, the access
token, the calculated-cost bucket on a movable clock, and signed orders/* webhooks.

Long on purpose: one file holds the schema, the shop's state and its two JSON shapes; the schema
and the JSON shapes keep Shopify's long lines."""

# ruff: noqa: E501

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLDirective,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    build_schema,
    execute_sync,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.execution.values import get_directive_values
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.clock import MovableClock

API_VERSION = "2026-10"
# Standard plan: 100 points a second restored; one query may ask for 1,000 points at most.
BUCKET_SIZE = 2000.0
RESTORE_RATE = 100.0
MAX_QUERY_COST = 1000
MUTATION_COST = 10
MAX_PAGE_SIZE = 250
MAX_QUANTITIES = 250
MAX_QUANTITY = 1_000_000_000
PRIMARY_LOCATION = "1001"
OTHER_LOCATION = "1002"
INVENTORY_REASONS = {
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
    "movement_received", "movement_canceled", "other", "promotion", "quality_control",
    "received", "reservation_created", "reservation_deleted", "reservation_updated",
    "restock", "safety_stock", "shrinkage",
}  # fmt: skip
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
EVENT_TOPICS = {
    "created": "orders/create",
    "updated": "orders/updated",
    "cancelled": "orders/cancelled",
}

SDL = """
directive @idempotent(key: String!) on FIELD
scalar DateTime
scalar Decimal
scalar URL
enum CurrencyCode { USD EUR GBP CAD AUD JPY KWD }
enum OrderSortKeys { CREATED_AT ID PROCESSED_AT UPDATED_AT }
enum OrderDisplayFinancialStatus {
  AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED
}
enum OrderDisplayFulfillmentStatus { FULFILLED PARTIALLY_FULFILLED UNFULFILLED }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum FulfillmentOrderStatus { CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED }
enum WebhookSubscriptionFormat { JSON XML }
enum WebhookSubscriptionTopic {
  ORDERS_CREATE ORDERS_UPDATED ORDERS_CANCELLED ORDERS_PAID ORDERS_FULFILLED
  ORDERS_PARTIALLY_FULFILLED ORDERS_EDITED REFUNDS_CREATE APP_UNINSTALLED
}
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! endCursor: String startCursor: String }
type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }
type MailingAddress {
  name: String firstName: String lastName: String company: String address1: String
  address2: String city: String provinceCode: String zip: String countryCodeV2: String phone: String
}
type TaxLine { priceSet: MoneyBag! rate: Float title: String! }
type DiscountAllocation { allocatedAmountSet: MoneyBag! }
type Product { id: ID! title: String! }
type InventoryItem { id: ID! }
type ProductVariant { id: ID! sku: String title: String! product: Product! inventoryItem: InventoryItem! }
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection { nodes: [ProductVariant!]! edges: [ProductVariantEdge!]! pageInfo: PageInfo! }
type LineItem {
  id: ID! sku: String title: String! quantity: Int! originalUnitPriceSet: MoneyBag!
  totalDiscountSet: MoneyBag! discountAllocations: [DiscountAllocation!]! taxLines: [TaxLine!]!
  variant: ProductVariant product: Product
}
type LineItemConnection { nodes: [LineItem!]! pageInfo: PageInfo! }
type ShippingLine { title: String! originalPriceSet: MoneyBag! discountedPriceSet: MoneyBag! taxLines: [TaxLine!]! }
type ShippingLineConnection { nodes: [ShippingLine!]! pageInfo: PageInfo! }
type FulfillmentOrderLineItem { id: ID! remainingQuantity: Int! totalQuantity: Int! sku: String lineItem: LineItem! }
type FulfillmentOrderLineItemConnection { nodes: [FulfillmentOrderLineItem!]! pageInfo: PageInfo! }
type FulfillmentOrder { id: ID! status: FulfillmentOrderStatus! lineItems(first: Int, after: String): FulfillmentOrderLineItemConnection! }
type FulfillmentOrderConnection { nodes: [FulfillmentOrder!]! pageInfo: PageInfo! }
type Order {
  id: ID! legacyResourceId: String! name: String! email: String phone: String note: String
  createdAt: DateTime! updatedAt: DateTime! cancelledAt: DateTime cancelReason: OrderCancelReason
  currencyCode: CurrencyCode! displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus! paymentGatewayNames: [String!]!
  subtotalPriceSet: MoneyBag! totalPriceSet: MoneyBag! totalTaxSet: MoneyBag!
  totalShippingPriceSet: MoneyBag! totalDiscountsSet: MoneyBag! totalRefundedSet: MoneyBag!
  shippingAddress: MailingAddress billingAddress: MailingAddress
  lineItems(first: Int, after: String): LineItemConnection!
  shippingLines(first: Int, after: String): ShippingLineConnection!
  fulfillmentOrders(first: Int, after: String): FulfillmentOrderConnection!
  fulfillments(first: Int): [Fulfillment!]!
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { nodes: [Order!]! edges: [OrderEdge!]! pageInfo: PageInfo! }
type Location { id: ID! name: String! }
type Shop { name: String! myshopifyDomain: String! currencyCode: CurrencyCode! }
type Query {
  orders(first: Int, after: String, query: String, sortKey: OrderSortKeys, reverse: Boolean): OrderConnection!
  order(id: ID!): Order
  productVariants(first: Int, after: String, query: String): ProductVariantConnection!
  location(id: ID): Location
  shop: Shop!
}
type UserError { field: [String!] message: String! }
type CodedUserError { field: [String!] message: String! code: String }
input InventoryQuantityInput { inventoryItemId: ID! locationId: ID! quantity: Int! changeFromQuantity: Int }
input InventorySetQuantitiesInput {
  name: String! reason: String! referenceDocumentUri: String quantities: [InventoryQuantityInput!]!
}
type InventoryAdjustmentGroup { id: ID! }
type InventorySetQuantitiesPayload { inventoryAdjustmentGroup: InventoryAdjustmentGroup userErrors: [CodedUserError!]! }
input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentOrderLineItemsInput { fulfillmentOrderId: ID! fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!] }
input FulfillmentTrackingInput { company: String number: String url: URL }
input FulfillmentInput {
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]! notifyCustomer: Boolean
  trackingInfo: FulfillmentTrackingInput
}
type FulfillmentTrackingInfo { company: String number: String url: String }
type Fulfillment { id: ID! status: String! trackingInfo(first: Int): [FulfillmentTrackingInfo!]! }
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
input OrderCancelRefundMethodInput { originalPaymentMethodsRefund: Boolean }
type Job { id: ID! done: Boolean! }
type OrderCancelPayload { job: Job orderCancelUserErrors: [CodedUserError!]! userErrors: [UserError!]! }
input WebhookSubscriptionInput { uri: String callbackUrl: URL format: WebhookSubscriptionFormat includeFields: [String!] filter: String }
type WebhookSubscription { id: ID! topic: WebhookSubscriptionTopic! uri: String! }
type WebhookSubscriptionCreatePayload { webhookSubscription: WebhookSubscription userErrors: [UserError!]! }
type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
  orderCancel(
    orderId: ID!, reason: OrderCancelReason!, restock: Boolean!, notifyCustomer: Boolean,
    refund: Boolean, refundMethod: OrderCancelRefundMethodInput, staffNote: String
  ): OrderCancelPayload
  webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!, webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionCreatePayload
}
"""
SCHEMA = build_schema(SDL)
_idempotent = SCHEMA.get_directive("idempotent")
assert _idempotent is not None
IDEMPOTENT: GraphQLDirective = _idempotent


def _gid(kind: str, some_id: Any) -> str:
    return f"gid://shopify/{kind}/{some_id}"


def _tail(value: str) -> str:
    return str(value).rsplit("/", 1)[-1]


def _exponent(currency: str) -> int:
    return {"JPY": 0, "KWD": 3}.get(currency, 2)


@dataclass
class FakeLine:
    id: int
    sku: str
    quantity: int
    price: Decimal
    discount: Decimal
    tax: Decimal
    variant_id: int | None
    product_id: int | None
    fulfilled: int = 0


@dataclass
class FakeOrder:
    id: int
    number: int
    currency: str
    created_at: datetime
    updated_at: datetime
    lines: list[FakeLine]
    financial_status: str = "paid"
    shipping: Decimal = Decimal(0)
    shipping_tax: Decimal = Decimal(0)
    shipping_discount: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    fulfillment_order_status: str = "OPEN"
    email: str = "ada@example.com"
    address: dict[str, str] = field(
        default_factory=lambda: {
            "first_name": "Ada", "last_name": "Lovelace", "address1": "1 Main St",
            "city": "Springfield", "province_code": "IL", "zip": "62701",
            "country_code": "US", "phone": "+15555550100",
        }
    )  # fmt: skip

    def money(self, amount: Decimal) -> str:
        return f"{amount:.{_exponent(self.currency)}f}"

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), self.shipping_tax)

    @property
    def discounts(self) -> Decimal:
        return sum((line.discount for line in self.lines), self.shipping_discount)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.price * line.quantity - line.discount for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax + self.shipping - self.shipping_discount

    @property
    def fulfillment_status(self) -> str | None:
        done = [line.fulfilled >= line.quantity for line in self.lines]
        if all(done):
            return "fulfilled"
        return "partial" if any(line.fulfilled for line in self.lines) else None


@dataclass
class Variant:
    id: int
    sku: str
    product_id: int
    inventory_item_id: int


class FakeShopify:
    platform = "shopify"

    def __init__(self, clock: MovableClock | None = None) -> None:
        self.clock = clock or MovableClock()
        self.rate_limited = 0
        self.requests = 0
        self.mutations: dict[str, int] = {}
        self.access_token = "shpat_" + "f" * 32
        self.client_secret = "shpss_" + "e" * 32
        self.orders: dict[int, FakeOrder] = {}
        self.variants: list[Variant] = []
        self.levels: dict[tuple[int, str], int] = {}
        self.subscriptions: list[dict[str, str]] = []
        self.shipments: dict[int, list[dict[str, Any]]] = {}
        self._idempotency: dict[str, tuple[str, dict[str, Any]]] = {}
        self._ids = 5_000_000_000
        self._wall = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self._failures: list[int] = []
        self._available = BUCKET_SIZE
        self._filled_at = self.clock.now()
        self._app = Starlette(
            routes=[Route("/admin/api/{version}/graphql.json", self._graphql, methods=["POST"])]
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
        return {"access_token": self.access_token, "client_secret": self.client_secret}

    def add_product(self, sku: str, *, variant: bool = False) -> None:
        product = self.variants[-1].product_id if variant and self.variants else self._next_id()
        self.variants.append(Variant(self._next_id(), sku, product, self._next_id()))

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        currency: str = "USD",
        unit_price: str = "10.00",
        tax_rate: str = "0",
        line_discount: str = "0",
        shipping: str = "0",
        shipping_tax: str = "0",
        shipping_discount: str = "0",
        financial_status: str = "paid",
    ) -> str:
        moment = self._tick()
        order_lines = []
        for sku, quantity in lines:
            variant = next((v for v in self.variants if v.sku == sku), None)
            price, discount = Decimal(unit_price), Decimal(line_discount)
            tax = ((price * quantity - discount) * Decimal(tax_rate)).quantize(
                Decimal(1).scaleb(-_exponent(currency))
            )
            order_lines.append(
                FakeLine(
                    self._next_id(),
                    sku,
                    quantity,
                    price,
                    discount,
                    tax,
                    variant.id if variant else None,
                    variant.product_id if variant else None,
                )
            )
        order = FakeOrder(
            id=self._next_id(),
            number=1001 + len(self.orders),
            currency=currency,
            created_at=moment,
            updated_at=moment,
            lines=order_lines,
            financial_status=financial_status,
            shipping=Decimal(shipping),
            shipping_tax=Decimal(shipping_tax),
            shipping_discount=Decimal(shipping_discount),
        )
        self.orders[order.id] = order
        return str(order.id)

    def cancel_order(self, platform_order_id: str) -> None:
        order = self.orders[int(_tail(platform_order_id))]
        order.cancelled_at = order.updated_at = self._tick()
        order.cancel_reason = "customer"
        order.fulfillment_order_status = "CANCELLED"

    def refund_order(self, platform_order_id: str, amount: str) -> None:
        order = self.orders[int(_tail(platform_order_id))]
        order.refunded += Decimal(amount)
        order.financial_status = (
            "refunded" if order.refunded >= order.total else "partially_refunded"
        )
        order.updated_at = self._tick()

    def order_webhook(self, platform_order_id: str, event: str) -> tuple[dict[str, str], bytes]:
        order = self.orders[int(_tail(platform_order_id))]
        topic = EVENT_TOPICS[event]
        body = json.dumps(self._rest_order(order)).encode()
        digest = hmac.new(self.client_secret.encode(), body, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            "X-Shopify-Shop-Domain": "orderly-test.myshopify.com",
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": self._iso(self._wall),
        }
        return headers, body

    def available(self, sku: str, location: str | None = None) -> int | None:
        variant = next((v for v in self.variants if v.sku == sku), None)
        if variant is None:
            return None
        return self.levels.get((variant.inventory_item_id, _tail(location or PRIMARY_LOCATION)))

    def shipments_of(self, platform_order_id: str) -> list[dict[str, Any]]:
        return list(self.shipments.get(int(_tail(platform_order_id)), []))

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    # HTTP

    async def _graphql(self, request: Request) -> JSONResponse:
        self.requests += 1
        if self._failures:
            status = self._failures.pop(0)
            return JSONResponse({"errors": "Service Unavailable"}, status_code=status)
        if request.path_params["version"] != API_VERSION:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        if request.headers.get("x-shopify-access-token") != self.access_token:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401)
        missing = JSONResponse(
            {"errors": {"query": "Required parameter missing or invalid"}}, status_code=400
        )
        if not request.headers.get("content-type", "").startswith("application/json"):
            return missing
        try:
            body = json.loads(await request.body())
        except ValueError:
            return missing
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return missing
        return JSONResponse(self._answer(body["query"], body.get("variables") or {}))

    def _answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [error.formatted]}
        problems = validate(SCHEMA, document)
        if problems:
            return {"errors": [problem.formatted for problem in problems]}
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        mutation = operation.operation == OperationType.MUTATION
        requested = (
            MUTATION_COST
            if mutation
            else _requested(operation.selection_set.selections, fragments, variables)
        )
        self._refill()
        if requested > MAX_QUERY_COST:
            return {
                "errors": [
                    {
                        "message": f"Query cost is {requested}, which exceeds the single query "
                        f"max cost limit ({MAX_QUERY_COST}).",
                        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested},
                    }
                ],
                "extensions": {"cost": self._cost(requested, None)},
            }
        if self._available < requested:
            self.rate_limited += 1
            return {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {"cost": self._cost(requested, None)},
            }
        self._available -= requested
        result = execute_sync(SCHEMA, document, root_value=self._root(), variable_values=variables)
        actual = (
            MUTATION_COST
            if mutation
            else _actual(operation.selection_set.selections, fragments, result.data or {})
        )
        self._available = min(BUCKET_SIZE, self._available + max(requested - actual, 0))
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        answer["extensions"] = {"cost": self._cost(requested, actual)}
        return answer

    def _refill(self) -> None:
        now = self.clock.now()
        self._available = min(BUCKET_SIZE, self._available + (now - self._filled_at) * RESTORE_RATE)
        self._filled_at = now

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": BUCKET_SIZE,
                "currentlyAvailable": int(self._available),
                "restoreRate": RESTORE_RATE,
            },
        }

    def _root(self) -> dict[str, Any]:
        return {
            "orders": self._orders,
            "order": lambda info, id: self._order_or_none(id),
            "productVariants": self._variants,
            "location": lambda info, id=None: self._location(id),
            "shop": {"name": "Orderly Test", "myshopifyDomain": "orderly-test.myshopify.com",
                     "currencyCode": "USD"},
            "inventorySetQuantities": self._set_quantities,
            "fulfillmentCreate": self._fulfillment_create,
            "orderCancel": self._order_cancel,
            "webhookSubscriptionCreate": self._subscribe,
        }  # fmt: skip

    # Queries

    def _orders(self, info: Any, **args: Any) -> dict[str, Any]:
        orders = sorted(self.orders.values(), key=lambda o: (o.updated_at, o.id))
        for op, moment in re.findall(
            r"updated_at:(>=|>|<=|<)'?([0-9T:\-Z+.]+)'?", args.get("query") or ""
        ):
            bound = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            compare = {">=": bound.__le__, ">": bound.__lt__, "<=": bound.__ge__, "<": bound.__gt__}
            orders = [o for o in orders if compare[op](o.updated_at)]
        if args.get("sortKey") not in (None, "UPDATED_AT"):
            orders.sort(key=lambda o: o.id)
        if args.get("reverse"):
            orders.reverse()
        return _page(orders, args, convert=self._graphql_order)

    def _order_or_none(self, order_gid: str) -> dict[str, Any] | None:
        order = self.orders.get(int(_tail(order_gid))) if _tail(order_gid).isdigit() else None
        return self._graphql_order(order) if order else None

    def _variants(self, info: Any, **args: Any) -> dict[str, Any]:
        variants = self.variants
        skus = re.findall(r'sku:"?([^"\s]+)"?', args.get("query") or "")
        if skus:
            variants = [v for v in variants if v.sku in skus]
        return _page([self._graphql_variant(v) for v in variants], args)

    def _location(self, location_gid: str | None) -> dict[str, Any] | None:
        location = _tail(location_gid) if location_gid else PRIMARY_LOCATION
        names = {PRIMARY_LOCATION: "Shop location", OTHER_LOCATION: "Warehouse"}
        if location not in names:
            return None
        return {"id": _gid("Location", location), "name": names[location]}

    # Mutations

    def _set_quantities(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        self.mutations["inventorySetQuantities"] = (
            self.mutations.get("inventorySetQuantities", 0) + 1
        )
        idempotent = get_directive_values(IDEMPOTENT, info.field_nodes[0], info.variable_values)
        if not idempotent:  # required from 2026-04
            raise GraphQLError("The @idempotent directive is required for this mutation.")
        quantities = input["quantities"]
        if len(quantities) > MAX_QUANTITIES:
            raise GraphQLError(
                f"The input array size of {len(quantities)} is greater than the maximum allowed "
                f"of {MAX_QUANTITIES}.", extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
            )  # fmt: skip
        fingerprint = json.dumps(input, sort_keys=True)
        key = idempotent["key"]
        if key in self._idempotency:
            seen, result = self._idempotency[key]
            if seen == fingerprint:
                return result
            return _coded([], "The same idempotency key cannot be used with different "
                          "operation parameters.", "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")  # fmt: skip
        errors = self._quantity_errors(input)
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        items = {v.inventory_item_id for v in self.variants}
        for q in quantities:
            item, location = int(_tail(q["inventoryItemId"])), _tail(q["locationId"])
            assert item in items
            self.levels[(item, location)] = q["quantity"]
        result = {"inventoryAdjustmentGroup": {"id": _gid("InventoryAdjustmentGroup", self._next_id())},
                  "userErrors": []}  # fmt: skip
        self._idempotency[key] = (fingerprint, result)
        return result

    def _quantity_errors(self, input: dict[str, Any]) -> list[dict[str, Any]]:
        errors = []
        if input["name"] not in ("available", "on_hand"):
            errors += _coded(["input", "name"], "The quantity name must be either 'available' "
                             "or 'on_hand'.", "INVALID_NAME")["userErrors"]  # fmt: skip
        if input["reason"] not in INVENTORY_REASONS:
            errors += _coded(["input", "reason"], "The reason is invalid.", "INVALID_REASON")[
                "userErrors"
            ]
        items = {v.inventory_item_id for v in self.variants}
        for index, q in enumerate(input["quantities"]):
            path = ["input", "quantities", str(index)]
            item, location = _tail(q["inventoryItemId"]), _tail(q["locationId"])
            current = self.levels.get((int(item), location), 0) if item.isdigit() else 0
            if "changeFromQuantity" not in q:  # from 2026-04 it must be given, null or not
                problem = ([*path, "changeFromQuantity"], "changeFromQuantity must be provided.",
                           "CHANGE_FROM_QUANTITY_REQUIRED")  # fmt: skip
            elif not item.isdigit() or int(item) not in items:
                problem = ([*path, "inventoryItemId"], "The specified inventory item could not "
                           "be found.", "INVALID_INVENTORY_ITEM")  # fmt: skip
            elif self._location(q["locationId"]) is None:
                problem = ([*path, "locationId"], "The specified location could not be found.",
                           "INVALID_LOCATION")  # fmt: skip
            elif q["quantity"] > MAX_QUANTITY:
                problem = ([*path, "quantity"], "The quantity can't be higher than 1,000,000,000.",
                           "INVALID_QUANTITY_TOO_HIGH")  # fmt: skip
            elif q["changeFromQuantity"] is not None and q["changeFromQuantity"] != current:
                problem = ([*path, "changeFromQuantity"], "The changeFromQuantity value does "
                           "not match persisted value.", "CHANGE_FROM_QUANTITY_STALE")  # fmt: skip
            else:
                continue
            errors += _coded(*problem)["userErrors"]
        return errors

    def _fulfillment_create(
        self, info: Any, fulfillment: dict[str, Any], message: str | None = None
    ) -> dict[str, Any]:
        self.mutations["fulfillmentCreate"] = self.mutations.get("fulfillmentCreate", 0) + 1
        planned: list[tuple[FakeOrder, FakeLine, int]] = []
        for index, group in enumerate(fulfillment["lineItemsByFulfillmentOrder"]):
            path = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
            fo = _tail(group["fulfillmentOrderId"])
            order = self.orders.get(int(fo) // 10) if fo.isdigit() and fo.endswith("0") else None
            if order is None:
                return _plain([*path, "fulfillmentOrderId"], "Fulfillment order does not exist.")
            if order.fulfillment_order_status not in ("OPEN", "IN_PROGRESS"):
                return _plain(path, "Fulfillment order is not in an open state.")
            wanted = group.get("fulfillmentOrderLineItems") or [
                {"id": _gid("FulfillmentOrderLineItem", line.id * 10), "quantity": line.quantity - line.fulfilled}
                for line in order.lines if line.quantity > line.fulfilled
            ]  # fmt: skip
            for item in wanted:
                line = next(
                    (li for li in order.lines if str(li.id * 10) == _tail(item["id"])), None
                )
                if line is None or not 0 < item["quantity"] <= line.quantity - line.fulfilled:
                    return _plain(path, "Invalid fulfillment order line item quantity requested.")
                planned.append((order, line, item["quantity"]))
        if not planned:
            return _plain(["fulfillment"], "Line items can't be blank.")
        tracking = fulfillment.get("trackingInfo") or {}
        shipment_id = self._next_id()
        for order, line, quantity in planned:
            line.fulfilled += quantity
            order.updated_at = self._tick()
            shipments = self.shipments.setdefault(order.id, [])
            shipment = next((s for s in shipments if s["id"] == shipment_id), None)
            if shipment is None:
                shipment = {"id": shipment_id, "tracking_number": tracking.get("number"),
                            "carrier": tracking.get("company"), "tracking_url": tracking.get("url"),
                            "notify_customer": bool(fulfillment.get("notifyCustomer")), "lines": []}  # fmt: skip
                shipments.append(shipment)
            shipment["lines"].append(
                {"sku": line.sku, "quantity": quantity, "line_id": str(line.id)}
            )
            if all(li.fulfilled >= li.quantity for li in order.lines):
                order.fulfillment_order_status = "CLOSED"
        return {"fulfillment": {"id": _gid("Fulfillment", shipment_id), "status": "SUCCESS"},
                "userErrors": []}  # fmt: skip

    def _order_cancel(
        self, info: Any, orderId: str, reason: str, restock: bool, **args: Any
    ) -> dict[str, Any]:
        self.mutations["orderCancel"] = self.mutations.get("orderCancel", 0) + 1
        order = self.orders.get(int(_tail(orderId))) if _tail(orderId).isdigit() else None
        if order is None:
            return {
                **_coded(
                    ["orderId"], "Order does not exist.", "NOT_FOUND", key="orderCancelUserErrors"
                ),
                "job": None,
                "userErrors": [],
            }
        if order.cancelled_at is not None:
            return {
                **_coded(
                    ["orderId"],
                    "Order has already been cancelled.",
                    "INVALID",
                    key="orderCancelUserErrors",
                ),
                "job": None,
                "userErrors": [],
            }
        if args.get("refund") is None and args.get("refundMethod") is None:
            return {
                **_coded(
                    ["refundMethod"],
                    "A refund method is required.",
                    "INVALID",
                    key="orderCancelUserErrors",
                ),
                "job": None,
                "userErrors": [],
            }
        refund = bool(
            args.get("refund")
            or (args.get("refundMethod") or {}).get("originalPaymentMethodsRefund")
        )
        order.cancelled_at = order.updated_at = self._tick()
        order.cancel_reason = reason.lower()
        order.fulfillment_order_status = "CANCELLED"
        if refund and order.financial_status in ("paid", "partially_refunded"):
            order.refunded, order.financial_status = order.total, "refunded"
        elif order.financial_status == "authorized":
            order.financial_status = "voided"
        return {
            "job": {"id": _gid("Job", uuid.uuid4()), "done": True},
            "orderCancelUserErrors": [],
            "userErrors": [],
        }

    def _subscribe(
        self, info: Any, topic: str, webhookSubscription: dict[str, Any]
    ) -> dict[str, Any]:
        uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        path = ["webhookSubscription", "callbackUrl"]
        if not uri:
            return {**_plain(path, "Address can't be blank"), "webhookSubscription": None}
        if not str(uri).startswith("https://"):
            scheme = str(uri).split(":", 1)[0]
            return {
                **_plain(path, f"Address protocol {scheme}:// is not supported"),
                "webhookSubscription": None,
            }
        if any(s["topic"] == topic and s["uri"] == uri for s in self.subscriptions):
            return {
                **_plain(path, "Address for this topic has already been taken"),
                "webhookSubscription": None,
            }
        subscription = {
            "id": _gid("WebhookSubscription", self._next_id()),
            "topic": topic,
            "uri": uri,
        }
        self.subscriptions.append(subscription)
        return {"webhookSubscription": subscription, "userErrors": []}

    # Shapes

    def _graphql_variant(self, v: Variant) -> dict[str, Any]:
        return {"id": _gid("ProductVariant", v.id), "sku": v.sku, "title": v.sku,
                "product": {"id": _gid("Product", v.product_id), "title": v.sku},
                "inventoryItem": {"id": _gid("InventoryItem", v.inventory_item_id)}}  # fmt: skip

    def _graphql_order(self, o: FakeOrder) -> dict[str, Any]:
        def bag(amount: Decimal) -> dict[str, Any]:
            money = {"amount": o.money(amount), "currencyCode": o.currency}
            return {"shopMoney": money, "presentmentMoney": money}

        def tax(amount: Decimal) -> list[dict[str, Any]]:
            return [{"priceSet": bag(amount), "rate": 0.0, "title": "Tax"}] if amount else []

        address = {"name": f"{o.address['first_name']} {o.address['last_name']}",
                   "firstName": o.address["first_name"], "lastName": o.address["last_name"],
                   "company": None, "address1": o.address["address1"], "address2": None,
                   "city": o.address["city"], "provinceCode": o.address["province_code"],
                   "zip": o.address["zip"], "countryCodeV2": o.address["country_code"],
                   "phone": o.address["phone"]}  # fmt: skip
        lines = [
            {"id": _gid("LineItem", li.id), "sku": li.sku, "title": li.sku, "quantity": li.quantity,
             "originalUnitPriceSet": bag(li.price), "totalDiscountSet": bag(li.discount),
             "discountAllocations": [{"allocatedAmountSet": bag(li.discount)}] if li.discount else [],
             "taxLines": tax(li.tax),
             "variant": {"id": _gid("ProductVariant", li.variant_id)} if li.variant_id else None,
             "product": {"id": _gid("Product", li.product_id)} if li.product_id else None}
            for li in o.lines
        ]  # fmt: skip
        fo_lines = [
            {"id": _gid("FulfillmentOrderLineItem", li.id * 10), "remainingQuantity": li.quantity - li.fulfilled,
             "totalQuantity": li.quantity, "sku": li.sku, "lineItem": line}
            for li, line in zip(o.lines, lines, strict=True)
        ]  # fmt: skip
        shipping = [{"title": "Standard", "originalPriceSet": bag(o.shipping),
                     "discountedPriceSet": bag(o.shipping - o.shipping_discount),
                     "taxLines": tax(o.shipping_tax)}] if o.shipping else []  # fmt: skip
        fulfilled = o.fulfillment_status
        return {
            "id": _gid("Order", o.id), "legacyResourceId": str(o.id), "name": f"#{o.number}",
            "email": o.email, "phone": None, "note": None,
            "createdAt": self._iso(o.created_at), "updatedAt": self._iso(o.updated_at),
            "cancelledAt": self._iso(o.cancelled_at) if o.cancelled_at else None,
            "cancelReason": o.cancel_reason.upper() if o.cancel_reason else None,
            "currencyCode": o.currency, "displayFinancialStatus": o.financial_status.upper(),
            "displayFulfillmentStatus": {"fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED"}.get(fulfilled or "", "UNFULFILLED"),
            "paymentGatewayNames": ["shopify_payments"],
            "subtotalPriceSet": bag(o.subtotal), "totalPriceSet": bag(o.total),
            "totalTaxSet": bag(o.tax), "totalShippingPriceSet": bag(o.shipping),
            "totalDiscountsSet": bag(o.discounts), "totalRefundedSet": bag(o.refunded),
            "shippingAddress": address, "billingAddress": address,
            "lineItems": _connection(lines), "shippingLines": _connection(shipping),
            "fulfillmentOrders": _connection([{
                "id": _gid("FulfillmentOrder", o.id * 10), "status": o.fulfillment_order_status,
                "lineItems": _connection(fo_lines)}]),
            "fulfillments": [
                {"id": _gid("Fulfillment", f["id"]), "status": "SUCCESS",
                 "trackingInfo": [{"company": f["carrier"], "number": f["tracking_number"],
                                   "url": f["tracking_url"]}]}
                for f in self.shipments.get(o.id, [])],
        }  # fmt: skip

    def _rest_order(self, o: FakeOrder) -> dict[str, Any]:
        def taxes(amount: Decimal) -> list[dict[str, Any]]:
            return [{"price": o.money(amount), "rate": 0.0, "title": "Tax"}] if amount else []

        address = {**o.address, "name": f"{o.address['first_name']} {o.address['last_name']}",
                   "address2": None, "company": None, "country": "United States"}  # fmt: skip
        return {
            "id": o.id, "admin_graphql_api_id": _gid("Order", o.id), "name": f"#{o.number}",
            "order_number": o.number, "email": o.email, "phone": None, "note": None,
            "created_at": self._iso(o.created_at), "updated_at": self._iso(o.updated_at),
            "cancelled_at": self._iso(o.cancelled_at) if o.cancelled_at else None,
            "cancel_reason": o.cancel_reason, "currency": o.currency,
            "financial_status": o.financial_status, "fulfillment_status": o.fulfillment_status,
            "total_price": o.money(o.total), "subtotal_price": o.money(o.subtotal),
            "total_tax": o.money(o.tax), "total_discounts": o.money(o.discounts),
            "payment_gateway_names": ["shopify_payments"],
            "customer": {"id": 77, "first_name": "Ada", "last_name": "Lovelace", "email": o.email},
            "shipping_address": address, "billing_address": address,
            "line_items": [
                {"id": li.id, "admin_graphql_api_id": _gid("LineItem", li.id), "sku": li.sku,
                 "title": li.sku, "quantity": li.quantity, "price": o.money(li.price),
                 "total_discount": o.money(Decimal(0)),
                 "discount_allocations": [{"amount": o.money(li.discount)}] if li.discount else [],
                 "tax_lines": taxes(li.tax), "product_id": li.product_id, "variant_id": li.variant_id,
                 "fulfillable_quantity": li.quantity - li.fulfilled}
                for li in o.lines
            ],
            "shipping_lines": [{"id": o.id + 1, "title": "Standard", "price": o.money(o.shipping),
                                "discounted_price": o.money(o.shipping - o.shipping_discount),
                                "tax_lines": taxes(o.shipping_tax)}] if o.shipping else [],
            "refunds": [{"id": o.id + 2, "transactions": [
                {"amount": o.money(o.refunded), "kind": "refund", "status": "success"}]}]
            if o.refunded else [],
        }  # fmt: skip

    # Clock and ids

    def _tick(self) -> datetime:
        self._wall += timedelta(seconds=1)
        return self._wall

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    @staticmethod
    def _iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _coded(path: list[str], message: str, code: str, *, key: str = "userErrors") -> dict[str, Any]:
    return {key: [{"field": path or None, "message": message, "code": code}]}


def _plain(path: list[str], message: str) -> dict[str, Any]:
    return {"fulfillment": None, "userErrors": [{"field": path, "message": message}]}


def _connection(items: list[dict[str, Any]]) -> Any:
    """A nested connection: resolved with its own `first` and `after`."""
    return lambda info, **args: _page(items, args)


def _page(
    items: list[Any], args: dict[str, Any], convert: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """A connection's page; `convert` shapes only the items on the page."""
    first = args.get("first")
    if first is None:
        raise GraphQLError("you must provide one of first or last")
    if first > MAX_PAGE_SIZE:
        raise GraphQLError(f"The first argument must be at most {MAX_PAGE_SIZE}.")
    start = 0
    if args.get("after"):
        start = int(base64.b64decode(args["after"]).decode().split(":")[1]) + 1
    chunk = items[start : start + first]
    if convert is not None:
        chunk = [convert(item) for item in chunk]
    cursors = [base64.b64encode(f"cursor:{start + i}".encode()).decode() for i in range(len(chunk))]
    return {
        "nodes": chunk,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, chunk, strict=True)],
        "pageInfo": {"hasNextPage": start + first < len(items), "hasPreviousPage": start > 0,
                     "startCursor": cursors[0] if cursors else None,
                     "endCursor": cursors[-1] if cursors else None},
    }  # fmt: skip


def _fields(selections: Any, fragments: dict[str, FragmentDefinitionNode]) -> list[FieldNode]:
    out: list[FieldNode] = []
    for node in selections:
        if isinstance(node, FieldNode):
            out.append(node)
        elif isinstance(node, FragmentSpreadNode):
            out += _fields(fragments[node.name.value].selection_set.selections, fragments)
        elif isinstance(node, InlineFragmentNode):
            out += _fields(node.selection_set.selections, fragments)
    return out


def _first(node: FieldNode, variables: dict[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, VariableNode):
                return variables.get(argument.value.name.value)
            value = value_from_ast_untyped(argument.value)
            return int(value) if value is not None else None
    return None


def _requested(selections: Any, fragments: dict[str, Any], variables: dict[str, Any]) -> int:
    """Shopify's documented rule, approximately: objects cost 1, scalars 0, and a connection
    costs 2 plus `first` times the cost of one of its nodes."""
    total = 0
    for node in _fields(selections, fragments):
        if node.selection_set is None or node.name.value == "pageInfo":
            continue
        inner = _requested(node.selection_set.selections, fragments, variables)
        first = _first(node, variables)
        total += 2 + first * max(inner, 1) if first is not None else 1 + inner
    return total


def _actual(selections: Any, fragments: dict[str, Any], data: Any) -> int:
    total = 0
    for node in _fields(selections, fragments):
        if (
            node.selection_set is None
            or node.name.value == "pageInfo"
            or not isinstance(data, dict)
        ):
            continue
        value = data.get(node.alias.value if node.alias else node.name.value)
        for item in value if isinstance(value, list) else [value] if value is not None else []:
            total += 1 + _actual(node.selection_set.selections, fragments, item)
        total += 1 if node.arguments and value is not None else 0
    return total
