"""ShipGlobal, cross-border shipping from India: labels through its Labels API v1."""

from orderly.shipping.carriers.shipglobal.connector import ShipGlobalCarrier

__all__ = ["ShipGlobalCarrier"]
