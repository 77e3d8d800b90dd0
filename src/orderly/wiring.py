"""What the app and the worker plug into the features' ports before they serve: the built-in
fraud rules, shipping's label buyer for fulfillment, returns' tracking follower, the
providers that operate locations for fulfillment, and the capture of payments as units ship."""

from __future__ import annotations

from orderly.automation import fraud_rules
from orderly.fulfillment import payment_port
from orderly.outside import withdrawal
from orderly.payments import lifecycle
from orderly.returns import service as returns
from orderly.shipping import followup, fulfillment_labels


def install() -> None:
    """Fill every port a feature leaves to the features above it. Idempotent."""
    fraud_rules.install()
    fulfillment_labels.install()
    followup.follow_returns_with(returns.on_return_shipment_status_changed)
    withdrawal.install()
    payment_port.collect_with(lifecycle.collect_for_shipment)
