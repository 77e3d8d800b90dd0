"""Locations operated by others: 3PLs and drop-shipping suppliers (docs/fulfillment.md)."""
