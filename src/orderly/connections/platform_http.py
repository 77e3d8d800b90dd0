"""A connection's HTTP to its platform: the shared vendor HTTP (kit/vendor_http.py), raising
the connections' own errors."""

from __future__ import annotations

import httpx

from orderly.connections.errors import (
    CredentialsRefused,
    PlatformBusy,
    PlatformRefused,
    PlatformUnavailable,
)
from orderly.kit.outbound import OutboundPolicy
from orderly.kit.vendor_http import RetryPolicy, VendorClock, VendorErrors, VendorHttp, vendor_http

PLATFORM_ERRORS = VendorErrors(
    unavailable=PlatformUnavailable,
    busy=PlatformBusy,
    credentials_refused=CredentialsRefused,
    refused=PlatformRefused,
    # Platform calls are all safe to repeat (they are keyed by the platform's own ids).
    outcome_unknown=PlatformUnavailable,
)


def platform_http(
    platform: str,
    *,
    policy: OutboundPolicy,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> VendorHttp:
    """A connection's HTTP: guarded against private addresses unless the policy allows them."""
    return vendor_http(
        platform, errors=PLATFORM_ERRORS, policy=policy, retry=retry, transport=transport
    )


def platform_client(
    client: httpx.AsyncClient,
    *,
    platform: str,
    clock: VendorClock | None = None,
    policy: RetryPolicy | None = None,
) -> VendorHttp:
    """A platform's HTTP over a client of one's own (tests and benchmarks)."""
    return VendorHttp(client, vendor=platform, errors=PLATFORM_ERRORS, clock=clock, policy=policy)
