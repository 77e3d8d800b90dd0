"""Payment providers by name. A channel chooses the provider of its orders with
`settings["payment_provider"]` (default `manual`), or a payment account of the organization
with `settings["payment_account"]`, whose provider is then called with its credentials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from orderly.payments.base import PaymentProvider, ProviderAccount
from orderly.payments.errors import UnknownPaymentProvider
from orderly.payments.providers.manual import ManualProvider
from orderly.payments.providers.sales_platform import SalesPlatformProvider
from orderly.payments.providers.stripe.provider import stripe_provider

DEFAULT_PROVIDER = "manual"

ProviderFactory = Callable[[ProviderAccount | None], PaymentProvider]


@dataclass(frozen=True, slots=True)
class _Registered:
    factory: ProviderFactory
    # How long the provider usually holds an authorization, when the order does not say.
    authorization_window: timedelta | None
    # Reached over the network: called by a job, with no transaction open.
    remote: bool = False
    # Whether its authorizations may be captured shipment by shipment, unless the payment
    # account says otherwise (`settings["multicapture"]`).
    multicapture: bool = True


_PROVIDERS: dict[str, _Registered] = {
    "manual": _Registered(lambda _account: ManualProvider(), None),
    "sales_platform": _Registered(lambda _account: SalesPlatformProvider(), None),
    # Through a payment account only; Stripe cancels an uncaptured PaymentIntent after 7 days
    # by default, and grants multicapture per payment (docs/payments.md, "Stripe").
    "stripe": _Registered(stripe_provider, timedelta(days=7), remote=True, multicapture=False),
}


def register_provider(
    name: str,
    factory: ProviderFactory | None,
    *,
    authorization_window: timedelta | None = None,
    remote: bool = False,
    multicapture: bool = True,
) -> None:
    """Add (or, with None, remove) a provider; the app registers those it ships, tests their
    fakes."""
    if factory is None:
        _PROVIDERS.pop(name, None)
    else:
        _PROVIDERS[name] = _Registered(factory, authorization_window, remote, multicapture)


def provider_names() -> list[str]:
    return sorted(_PROVIDERS)


def authorization_window(name: str) -> timedelta | None:
    registered = _PROVIDERS.get(name)
    return registered.authorization_window if registered else None


def is_remote(name: str) -> bool:
    """Whether the provider is reached over the network; an unknown one is taken to be, so
    that a job (not the request) finds that it is missing."""
    registered = _PROVIDERS.get(name)
    return registered.remote if registered else True


def multicapture_by_default(name: str) -> bool:
    registered = _PROVIDERS.get(name)
    return registered.multicapture if registered else False


def payment_provider(name: str, account: ProviderAccount | None = None) -> PaymentProvider:
    try:
        registered = _PROVIDERS[name]
    except KeyError:
        raise UnknownPaymentProvider(
            f"no payment provider {name!r}; known: {', '.join(provider_names())}",
            field="provider",
        ) from None
    return registered.factory(account)
