"""OAuth access tokens of carrier accounts, kept per account in this process and fetched again
shortly before they expire, so that a label purchase never waits on a token that is about to
lapse. A 401 with a cached token fetches a new one once: the carrier may have revoked it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from orderly.kit.vendor_http import vendor_clock
from orderly.shipping.errors import CarrierCredentialsRefused

T = TypeVar("T")
TokenKey = tuple[str, ...]
# Fetches a token from the carrier: its value and its lifetime in seconds.
TokenFetch = Callable[[], Awaitable[tuple[str, float]]]

# A token is fetched again this long before it expires (or at half its life, if shorter).
REFRESH_MARGIN_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: float


class TokenCache:
    def __init__(self) -> None:
        self._tokens: dict[TokenKey, _Token] = {}
        self._locks: dict[TokenKey, asyncio.Lock] = {}
        self.fetches = 0

    async def token(self, key: TokenKey, fetch: TokenFetch) -> str:
        """The account's token, fetched when there is none or it is due for refresh. Callers
        that ask together share one fetch."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            now = vendor_clock().now()
            if cached is not None and now < cached.refresh_at:
                return cached.value
            value, lifetime = await fetch()
            self.fetches += 1
            margin = min(REFRESH_MARGIN_SECONDS, lifetime / 2)
            self._tokens[key] = _Token(value, now + lifetime - margin)
            return value

    def forget(self, key: TokenKey, value: str) -> None:
        """Drop the token if it is still `value` (another caller may have replaced it)."""
        cached = self._tokens.get(key)
        if cached is not None and cached.value == value:
            del self._tokens[key]

    def clear(self) -> None:
        self._tokens.clear()

    async def call(
        self, key: TokenKey, fetch: TokenFetch, call: Callable[[str], Awaitable[T]]
    ) -> T:
        """`call(token)`, and once more with a new token if the carrier refuses the first."""
        value = await self.token(key, fetch)
        try:
            return await call(value)
        except CarrierCredentialsRefused:
            self.forget(key, value)
            return await call(await self.token(key, fetch))


# One cache for the process: API processes and workers each keep their own.
TOKENS = TokenCache()
