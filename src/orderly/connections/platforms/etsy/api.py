"""Calls to Etsy's Open API v3 for one shop, with the app's `x-api-key` and the seller's bearer
token. An expiring token, or one Etsy answers 401, is refreshed once and the call repeated; the
new pair is kept for the run and offered to the sync to store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from orderly.connections.errors import CredentialsRefused
from orderly.connections.platforms.etsy import oauth
from orderly.connections.platforms.etsy.oauth import TokenBook, TokenPair
from orderly.kit.vendor_http import VendorHttp

# An access token is refreshed this long before Etsy would refuse it.
REFRESH_MARGIN = 60.0


class EtsyApi:
    def __init__(
        self,
        http: VendorHttp,
        *,
        base_url: str,
        credentials: Mapping[str, str],
        tokens: TokenBook = oauth.TOKENS,
        keep: Callable[[Mapping[str, str]], Awaitable[None]] | None = None,
    ) -> None:
        self.http = http
        self.root = base_url.rstrip("/")
        self.keystring = credentials["keystring"]
        self.api_key = f"{self.keystring}:{credentials['shared_secret']}"
        self.tokens = tokens
        given = TokenPair(credentials["access_token"], credentials["refresh_token"])
        self.pair = tokens.latest(self.keystring, given)
        self.rotated = self.pair != given
        # Where the connection keeps rotated tokens: the old refresh token is spent.
        self.keep = keep
        self._lock = asyncio.Lock()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        once: bool = False,
    ) -> Any:
        """Etsy's JSON answer; raises the connection's errors (see `errors.RefusalReader`).
        With `once`, a call that reached Etsy is never repeated blindly (see `VendorHttp`)."""
        await self._refresh_if_expiring()
        token = self.pair.access_token
        try:
            response = await self._send(method, path, token, params=params, body=body, once=once)
        except CredentialsRefused as refused:
            if refused.extra.get("vendor_status") != 401:
                raise  # 403: a missing scope or a wrong shared secret; a refresh cannot help
            await self._refresh(stale=token)
            response = await self._send(
                method, path, self.pair.access_token, params=params, body=body, once=once
            )
        return json.loads(response.content) if response.content else {}

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        *,
        params: Mapping[str, str | int] | None,
        body: Any,
        once: bool,
    ) -> Any:
        headers = {
            "x-api-key": self.api_key,
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        }
        return await self.http.send(
            method, f"{self.root}{path}", params=params, json=body, headers=headers, once=once
        )

    async def _refresh_if_expiring(self) -> None:
        expires_at = self.pair.expires_at
        if expires_at is not None and self.http.clock.now() >= expires_at - REFRESH_MARGIN:
            await self._refresh(stale=self.pair.access_token)

    async def _refresh(self, *, stale: str) -> None:
        """One refresh for all the calls that found `stale` expired at once."""
        async with self._lock:
            if self.pair.access_token != stale:
                return
            replaced = self.pair.refresh_token
            fresh = await oauth.refresh_tokens(
                self.http, self.root, keystring=self.keystring, refresh_token=replaced
            )
            self.tokens.record(self.keystring, replaced=replaced, pair=fresh)
            self.pair, self.rotated = fresh, True
            if self.keep is not None:
                await self.keep(
                    {"access_token": fresh.access_token, "refresh_token": fresh.refresh_token}
                )
