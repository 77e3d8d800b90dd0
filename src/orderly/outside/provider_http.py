"""A provider's HTTP: the shared vendor HTTP (kit/vendor_http.py), raising this feature's errors."""

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
from orderly.outside.errors import (
    ProviderBusy,
    ProviderCredentialsRefused,
    ProviderOutcomeUnknown,
    ProviderRefused,
    ProviderUnavailable,
)

PROVIDER_ERRORS = VendorErrors(
    unavailable=ProviderUnavailable,
    busy=ProviderBusy,
    credentials_refused=ProviderCredentialsRefused,
    refused=ProviderRefused,
    outcome_unknown=ProviderOutcomeUnknown,
)

# Jobs call providers: they may wait a little longer than a person at a bench would.
PROVIDER_RETRY = RetryPolicy(attempts=4, first_wait=0.5, longest_backoff=8.0, longest_wait=30.0)


def provider_http(kind: str, base_url: str, *, policy: OutboundPolicy) -> VendorHttp:
    """HTTP to a provider's API at `base_url`, guarded like every outbound call."""
    return vendor_http(
        kind,
        errors=PROVIDER_ERRORS,
        policy=policy,
        retry=PROVIDER_RETRY,
        transport=routed_transport(base_url),
    )


def provider_client(
    client: httpx.AsyncClient,
    *,
    kind: str,
    clock: VendorClock | None = None,
    retry: RetryPolicy | None = None,
) -> VendorHttp:
    """A provider's HTTP over a client of one's own (tests)."""
    return VendorHttp(
        client, vendor=kind, errors=PROVIDER_ERRORS, clock=clock, policy=retry or PROVIDER_RETRY
    )
