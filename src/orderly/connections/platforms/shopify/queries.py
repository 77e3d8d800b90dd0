"""The GraphQL Admin API documents the connector sends. Page sizes keep each query's requested
cost under Shopify's 1,000-point ceiling for a single query."""

from __future__ import annotations

ORDERS_PER_PAGE = 5
LINES_PER_ORDER_PAGE = 15
LINES_PER_PAGE = 60
VARIANTS_PER_PAGE = 100
QUANTITIES_PER_CALL = 250

_LINE_FIELDS = """
fragment LineFields on LineItem {
  id sku title quantity
  originalUnitPriceSet { shopMoney { amount } }
  totalDiscountSet { shopMoney { amount } }
  taxLines { priceSet { shopMoney { amount } } }
  variant { id }
  product { id }
}
"""

_ORDER_FIELDS = (
    """
fragment AddressFields on MailingAddress {
  name company address1 address2 city provinceCode zip countryCodeV2 phone
}
fragment OrderFields on Order {
  id name email phone note createdAt updatedAt cancelledAt currencyCode
  displayFinancialStatus displayFulfillmentStatus paymentGatewayNames
  totalPriceSet { shopMoney { amount } }
  totalDiscountsSet { shopMoney { amount } }
  totalRefundedSet { shopMoney { amount } }
  shippingAddress { ...AddressFields }
  billingAddress { ...AddressFields }
  shippingLines(first: 3) {
    nodes {
      title
      originalPriceSet { shopMoney { amount } }
      discountedPriceSet { shopMoney { amount } }
      taxLines { priceSet { shopMoney { amount } } }
    }
  }
  lineItems(first: LINES_FIRST) { nodes { ...LineFields } pageInfo { hasNextPage endCursor } }
}
"""
    + _LINE_FIELDS
).replace("LINES_FIRST", str(LINES_PER_ORDER_PAGE))

ORDERS_CHANGED = (
    """
query OrdersChanged($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...OrderFields }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + _ORDER_FIELDS
)

ORDER = (
    """
query Order($id: ID!) {
  order(id: $id) { ...OrderFields }
}
"""
    + _ORDER_FIELDS
)

MORE_LINES = (
    """
query OrderLines($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {
      nodes { ...LineFields }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
    + _LINE_FIELDS
)

VARIANTS = """
query Variants($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { id sku product { id } inventoryItem { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRIMARY_LOCATION = """
query PrimaryLocation { location { id name } }
"""

SHOP = """
query Shop { shop { name myshopifyDomain } }
"""

SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        lineItems(first: 50) { nodes { id remainingQuantity lineItem { id sku } } }
      }
    }
    fulfillments(first: 50) { id trackingInfo(first: 5) { number } }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation OrderCancel(
  $orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
  $notifyCustomer: Boolean, $refundMethod: OrderCancelRefundMethodInput, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, restock: $restock, notifyCustomer: $notifyCustomer,
    refundMethod: $refundMethod, staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

WEBHOOK_SUBSCRIBE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $input: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $input) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""
