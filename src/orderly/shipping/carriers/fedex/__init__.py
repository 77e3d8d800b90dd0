"""FedEx, through its REST APIs: rates, labels, void, lookup by reference, tracking and
address validation."""

from orderly.shipping.carriers.fedex.connector import FedExCarrier

__all__ = ["FedExCarrier"]
