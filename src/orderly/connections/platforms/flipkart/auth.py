"""Flipkart's access tokens: the client-credentials grant (`GET /oauth-service/oauth/token`
with the application's id and secret as Basic credentials), kept per application in this
process until shortly before `expires_in` runs out, and fetched again once on a 401."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from orderly.connections.errors import CredentialsRefused, PlatformRefused
from orderly.kit.vendor_http import VendorHttp

T = TypeVar("T")
TOKEN_PATH = "/oauth-service/oauth/token"  # noqa: S105 (a path, not a secret)
SCOPE = "Seller_Api"
# Flipkart's tokens live about 60 days; one without `expires_in` is kept an hour.
DEFAULT_LIFETIME = 3600.0
# A token is fetched again this long before it expires (or at half its life, if shorter).
REFRESH_MARGIN = 300.0

TokenKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: float


async def fetch_token(http: VendorHttp, root: str, app_id: str, app_secret: str) -> _Token:
    """A new token from Flipkart; a refused id or secret raises `CredentialsRefused`."""
    response = await http.send(
        "GET",
        f"{root}{TOKEN_PATH}",
        params={"grant_type": "client_credentials", "scope": SCOPE},
        headers={"Accept": "application/json"},
        auth=httpx.BasicAuth(app_id, app_secret),
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("access_token"):
        raise PlatformRefused("flipkart's token answer carries no access_token")
    lifetime = float(body.get("expires_in") or DEFAULT_LIFETIME)
    margin = min(REFRESH_MARGIN, lifetime / 2)
    return _Token(str(body["access_token"]), http.clock.now() + lifetime - margin)


class TokenCache:
    """Tokens by (API root, application id, secret fingerprint): changed credentials get a
    token of their own. Callers that ask together share one fetch."""

    def __init__(self) -> None:
        self._tokens: dict[TokenKey, _Token] = {}
        self._locks: dict[TokenKey, asyncio.Lock] = {}
        self.fetches = 0

    @staticmethod
    def key(root: str, app_id: str, app_secret: str) -> TokenKey:
        return (root, app_id, hashlib.sha256(app_secret.encode()).hexdigest()[:16])

    async def token(self, http: VendorHttp, root: str, app_id: str, app_secret: str) -> str:
        key = self.key(root, app_id, app_secret)
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if cached is not None and http.clock.now() < cached.refresh_at:
                return cached.value
            fresh = await fetch_token(http, root, app_id, app_secret)
            self.fetches += 1
            self._tokens[key] = fresh
            return fresh.value

    def forget(self, key: TokenKey, value: str) -> None:
        """Drop the token if it is still `value` (another caller may have replaced it)."""
        cached = self._tokens.get(key)
        if cached is not None and cached.value == value:
            del self._tokens[key]

    async def call(
        self,
        http: VendorHttp,
        root: str,
        app_id: str,
        app_secret: str,
        request: Callable[[str], Awaitable[T]],
    ) -> T:
        """`request(token)`, and once more with a new token when Flipkart answers 401: the
        token expired or was revoked before the time it announced."""
        value = await self.token(http, root, app_id, app_secret)
        try:
            return await request(value)
        except CredentialsRefused as refused:
            if refused.extra.get("vendor_status") != 401:
                raise
            self.forget(self.key(root, app_id, app_secret), value)
            return await request(await self.token(http, root, app_id, app_secret))


# One cache for the process: API processes and workers each keep their own.
TOKENS = TokenCache()
