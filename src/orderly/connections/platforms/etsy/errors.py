"""Etsy's refusals: a 4xx answers `{"error": "..."}`, and the OAuth endpoint adds an
`error_description`. A response hook reads them into the error the connector sees, so that a
job's record names Etsy's reason. 429 and 5xx are left to the connection's `VendorHttp`."""

from __future__ import annotations

import json
from typing import Any

import httpx

from orderly.connections.errors import CredentialsRefused, PlatformRefused
from orderly.kit.vendor_http import VendorHttp


def read_error(content: bytes) -> tuple[str, str]:
    """Etsy's `error` and `error_description`, or the start of a body that is not JSON."""
    try:
        body: Any = json.loads(content)
    except ValueError:
        return content[:200].decode(errors="replace").strip() or "no reason given", ""
    if not isinstance(body, dict):
        return "no reason given", ""
    return str(body.get("error") or "no reason given"), str(body.get("error_description") or "")


def etsy_error(refusal: PlatformRefused | CredentialsRefused) -> str:
    """The `error` Etsy gave for a refusal this module raised ("" for any other)."""
    return str(refusal.extra.get("etsy_error") or "")


class RefusalReader:
    """A response hook on the connection's client: an Etsy 4xx becomes `CredentialsRefused`
    (401, 403) or `PlatformRefused` naming Etsy's error."""

    async def __call__(self, response: httpx.Response) -> None:
        status = response.status_code
        if not 400 <= status < 500 or status == 429:
            return
        await response.aread()
        error, description = read_error(response.content)
        text = f"etsy answered {status}: {error}" + (f" ({description})" if description else "")
        extra = {"vendor_status": status, "etsy_error": error, "etsy_description": description}
        if status in (401, 403):
            raise CredentialsRefused(text, extra=extra)
        raise PlatformRefused(text, extra=extra)


def read_refusals(http: VendorHttp) -> None:
    """Install the hook once per client, however many connectors are built over it."""
    hooks = http.client.event_hooks
    on_response = list(hooks.get("response", []))
    if any(isinstance(hook, RefusalReader) for hook in on_response):
        return
    http.client.event_hooks = {**hooks, "response": [*on_response, RefusalReader()]}
