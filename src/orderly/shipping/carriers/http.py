"""A carrier account's HTTP: the shared vendor HTTP (kit/vendor_http.py) on the account's
`base_url`, raising shipping's errors."""

from __future__ import annotations

import httpx

from orderly.kit.outbound import OutboundPolicy
from orderly.kit.vendor_http import (
    RetryPolicy,
    VendorClock,
    VendorErrors,
    VendorHttp,
    routed_transport,
    vendor_http,
)
from orderly.shipping.domain import CarrierAccount
from orderly.shipping.errors import (
    CarrierBusy,
    CarrierCredentialsRefused,
    CarrierRefused,
    CarrierUnavailable,
    LabelOutcomeUnknown,
)

CARRIER_ERRORS = VendorErrors(
    unavailable=CarrierUnavailable,
    busy=CarrierBusy,
    credentials_refused=CarrierCredentialsRefused,
    refused=CarrierRefused,
    outcome_unknown=LabelOutcomeUnknown,
)

# A request waits for its label: shorter waits than a background sync allows.
CARRIER_RETRY = RetryPolicy(attempts=3, first_wait=0.5, longest_backoff=4.0, longest_wait=10.0)


def base_url(account: CarrierAccount, default: str) -> str:
    """The account's `base_url` setting (the carrier's sandbox, or a test double), else the
    carrier's production address."""
    return str(account.settings.get("base_url") or default).rstrip("/")


def carrier_http(
    account: CarrierAccount, url: str, *, retry: RetryPolicy | None = None
) -> VendorHttp:
    """HTTP to the carrier at `url`, guarded like every outbound call of the account."""
    return vendor_http(
        account.kind,
        errors=CARRIER_ERRORS,
        policy=OutboundPolicy(allow_private=account.allow_private_urls),
        retry=retry or CARRIER_RETRY,
        transport=routed_transport(url),
    )


def carrier_client(
    client: httpx.AsyncClient,
    *,
    carrier: str,
    clock: VendorClock | None = None,
    retry: RetryPolicy | None = None,
) -> VendorHttp:
    """A carrier's HTTP over a client of one's own (tests and benchmarks)."""
    return VendorHttp(
        client, vendor=carrier, errors=CARRIER_ERRORS, clock=clock, policy=retry or CARRIER_RETRY
    )
