"""DHL Express over the MyDHL API (kind `dhl_express`); docs/shipping.md says how to connect."""

from orderly.shipping.carriers.dhl.connector import DhlExpressCarrier

__all__ = ["DhlExpressCarrier"]
