"""Payment providers by name. A channel chooses its provider with
`settings["payment_provider"]` (default `manual`)."""

from __future__ import annotations

from collections.abc import Callable

from orderly.payments.base import PaymentProvider
from orderly.payments.errors import UnknownPaymentProvider
from orderly.payments.providers.manual import ManualProvider
from orderly.payments.providers.sales_platform import SalesPlatformProvider

DEFAULT_PROVIDER = "manual"

_FACTORIES: dict[str, Callable[[], PaymentProvider]] = {
    "manual": ManualProvider,
    "sales_platform": SalesPlatformProvider,
}


def register_provider(name: str, factory: Callable[[], PaymentProvider] | None) -> None:
    """Add (or, with None, remove) a provider; tests register fakes this way."""
    if factory is None:
        _FACTORIES.pop(name, None)
    else:
        _FACTORIES[name] = factory


def provider_names() -> list[str]:
    return sorted(_FACTORIES)


def payment_provider(name: str) -> PaymentProvider:
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise UnknownPaymentProvider(
            f"no payment provider {name!r}; known: {', '.join(provider_names())}",
            field="provider",
        ) from None
