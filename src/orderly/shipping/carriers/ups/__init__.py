"""UPS, through its REST APIs: rates with transit times, labels (PDF from UPS's GIF, or ZPL),
void, tracking and lookup by our reference, US street-address checks."""

from orderly.shipping.carriers.ups.connector import UpsCarrier

__all__ = ["UpsCarrier"]
