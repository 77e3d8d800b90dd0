"""Amazon's tokens. A Login with Amazon access token comes from the refresh-token grant (client
id, client secret and the seller's refresh token) and lives an hour; a Restricted Data Token
(RDT) from the Tokens API opens the buyer's name, e-mail and address. Both are kept in this
process until shortly before they expire, and dropped when Amazon refuses them earlier."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from orderly.connections.errors import PlatformRefused
from orderly.kit.vendor_http import VendorHttp

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 (an address, not a secret)
# A token without `expires_in` is kept for the hour Amazon documents.
DEFAULT_LIFETIME = 3600.0
# A token is fetched again this long before it expires (or at half its life, if shorter).
REFRESH_MARGIN = 120.0

Fetch = Callable[[], Awaitable[tuple[str, float]]]


@dataclass(frozen=True, slots=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str

    def key(self, api_host: str) -> str:
        """These credentials at this endpoint, without the secrets in clear: changed
        credentials get tokens of their own."""
        digest = hashlib.sha256(
            f"{self.client_id}\0{self.refresh_token}\0{self.client_secret}".encode()
        ).hexdigest()[:24]
        return f"{api_host}|{self.client_id}|{digest}"


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: float


class TokenCache:
    """Tokens by key (the account, and for an RDT its resource). Callers that ask together
    share one fetch."""

    def __init__(self) -> None:
        self._tokens: dict[str, _Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def token(self, key: str, now: Callable[[], float], fetch: Fetch) -> str:
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if cached is not None and now() < cached.refresh_at:
                return cached.value
            value, lifetime = await fetch()
            margin = min(REFRESH_MARGIN, lifetime / 2)
            self._tokens[key] = _Token(value, now() + lifetime - margin)
            return value

    def forget(self, key: str, value: str) -> None:
        """Drop the token if it is still `value` (another caller may have replaced it)."""
        cached = self._tokens.get(key)
        if cached is not None and cached.value == value:
            del self._tokens[key]


# One cache for the process: API processes and workers each keep their own.
TOKENS = TokenCache()


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    lifetime: float
    # Set when Login with Amazon hands back a refresh token other than the one it was given.
    new_refresh_token: str | None = None


async def lwa_token(http: VendorHttp, credentials: Credentials) -> Grant:
    """A new access token and its lifetime in seconds; a refused refresh token or client
    raises `CredentialsRefused` (through the connection's refusal hook)."""
    form = urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
    )
    response = await http.send(
        "POST",
        LWA_TOKEN_URL,
        content=form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
            "Accept": "application/json",
        },
    )
    body = _json(response.content)
    if not body.get("access_token"):
        raise PlatformRefused("login with amazon answered without an access_token")
    refresh = str(body.get("refresh_token") or "")
    return Grant(
        access_token=str(body["access_token"]),
        lifetime=float(body.get("expires_in") or DEFAULT_LIFETIME),
        new_refresh_token=refresh if refresh and refresh != credentials.refresh_token else None,
    )


def restricted_token_of(body: object) -> tuple[str, float]:
    """The RDT and its lifetime from the Tokens API's answer."""
    if not isinstance(body, dict) or not body.get("restrictedDataToken"):
        raise PlatformRefused("amazon's Tokens API answered without a restrictedDataToken")
    return str(body["restrictedDataToken"]), float(body.get("expiresIn") or DEFAULT_LIFETIME)


def _json(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except ValueError:
        raise PlatformRefused("login with amazon answered without JSON") from None
    return body if isinstance(body, dict) else {}
