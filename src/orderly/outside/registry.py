"""Providers by kind: a location's provider names its kind, and the registry builds the
connector for it."""

from __future__ import annotations

from orderly.outside.dropship.email import EmailSupplier
from orderly.outside.errors import UnknownProviderKind
from orderly.outside.port import FulfillmentProvider, ProviderAccess
from orderly.outside.sftp.exchange import SftpExchange
from orderly.outside.shipbob.connector import ShipBobProvider

_KINDS: dict[str, type[FulfillmentProvider]] = {
    connector.kind: connector for connector in (EmailSupplier, SftpExchange, ShipBobProvider)
}


def register_kind(connector: type[FulfillmentProvider]) -> None:
    """Add a kind of provider (tests add one at the port this way)."""
    _KINDS[connector.kind] = connector


def kind_names() -> list[str]:
    return sorted(_KINDS)


def connector_class(kind: str) -> type[FulfillmentProvider]:
    try:
        return _KINDS[kind]
    except KeyError:
        raise UnknownProviderKind(
            f"no provider kind {kind!r}; known: {', '.join(kind_names())}", field="kind"
        ) from None


def fulfillment_provider(kind: str, access: ProviderAccess) -> FulfillmentProvider:
    return connector_class(kind)(access)
