"""Carrier connectors by kind. A carrier account names its connector in `kind`; the built-in
`rate_table` prices from the account's rate card."""

from __future__ import annotations

from collections.abc import Callable

from orderly.shipping.carriers.base import Carrier, CarrierAccount
from orderly.shipping.carriers.dhl import DhlExpressCarrier
from orderly.shipping.carriers.fedex import FedExCarrier
from orderly.shipping.carriers.rate_table import RateTableCarrier
from orderly.shipping.carriers.shipglobal import ShipGlobalCarrier
from orderly.shipping.carriers.ups import UpsCarrier
from orderly.shipping.errors import UnknownCarrierKind

CarrierFactory = Callable[[CarrierAccount], Carrier]

_FACTORIES: dict[str, CarrierFactory] = {
    "rate_table": RateTableCarrier,
    "fedex": FedExCarrier,
    "shipglobal": ShipGlobalCarrier,
    "dhl_express": DhlExpressCarrier,
    "ups": UpsCarrier,
}


def register_carrier(kind: str, factory: CarrierFactory | None) -> None:
    """Add (or, with None, remove) a connector; tests register fakes this way."""
    if factory is None:
        _FACTORIES.pop(kind, None)
    else:
        _FACTORIES[kind] = factory


def carrier_kinds() -> list[str]:
    return sorted(_FACTORIES)


def build_carrier(account: CarrierAccount) -> Carrier:
    try:
        factory = _FACTORIES[account.kind]
    except KeyError:
        raise UnknownCarrierKind(
            f"kind must be one of {', '.join(carrier_kinds())}", field="kind"
        ) from None
    return factory(account)
