"""Amazon's refusals read into the connections' errors. The SP-API answers a 4xx with
`errors[]` (`code`, `message`, `details`); Login with Amazon answers OAuth 2.0's `error` and
`error_description`. A refused refresh token or client is `CredentialsRefused`, as are 401 and
403; 429 and 5xx are left to the connection's `VendorHttp` (waited out, retried)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from orderly.connections.errors import CredentialsRefused, PlatformError, PlatformRefused
from orderly.kit.vendor_http import VendorHttp

# OAuth 2.0 token errors (RFC 6749, 5.2) that mean the credentials themselves are refused.
CREDENTIAL_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client"}
# What Amazon says of an access token it no longer takes: fetching a new one may help.
TOKEN_REFUSALS = ("expired", "revoked, malformed or invalid")


@dataclass(frozen=True, slots=True)
class AmazonError:
    code: str
    message: str = ""
    details: str = ""

    def __str__(self) -> str:
        text = "; ".join(part for part in (self.message, self.details) if part)
        return f"{self.code}: {text}" if text else self.code


def amazon_errors(body: Any) -> list[AmazonError]:
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("error"), str):
        return [AmazonError(code=body["error"], message=str(body.get("error_description") or ""))]
    return [
        AmazonError(
            code=str(e.get("code") or ""),
            message=str(e.get("message") or ""),
            details=str(e.get("details") or ""),
        )
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]


def describe(errors: list[AmazonError]) -> str:
    return "; ".join(str(e) for e in errors) or "no errors given"


def errors_of(error: PlatformError) -> list[AmazonError]:
    return [AmazonError(**e) for e in error.extra.get("amazon_errors") or []]


def token_refused(error: CredentialsRefused) -> bool:
    """A 401, or a 403 that blames the access token (expired, revoked): worth a new token."""
    if error.extra.get("vendor_status") == 401:
        return True
    text = " ".join(f"{e.message} {e.details}" for e in errors_of(error)).lower()
    return "access token" in text and any(reason in text for reason in TOKEN_REFUSALS)


def refusal(status: int, errors: list[AmazonError]) -> PlatformError:
    extra = {"vendor_status": status, "amazon_errors": [asdict(e) for e in errors]}
    detail = f"amazon answered {status}: {describe(errors)}"
    if status in (401, 403) or any(e.code in CREDENTIAL_ERRORS for e in errors):
        return CredentialsRefused(detail, extra=extra)
    return PlatformRefused(detail, extra=extra)


class RefusalReader:
    """A response hook: an Amazon 4xx (but 429) becomes the error that names Amazon's codes."""

    async def __call__(self, response: httpx.Response) -> None:
        status = response.status_code
        if not 400 <= status < 500 or status == 429:
            return
        await response.aread()
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        raise refusal(status, amazon_errors(body))


def read_refusals(http: VendorHttp) -> None:
    """Install the hook once per client, however many connectors are built over it."""
    hooks = http.client.event_hooks
    on_response = list(hooks.get("response", []))
    if any(isinstance(hook, RefusalReader) for hook in on_response):
        return
    http.client.event_hooks = {**hooks, "response": [*on_response, RefusalReader()]}
