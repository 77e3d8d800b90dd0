"""The API keys this process has checked, kept in memory while it hears of every key change.

Any change to api_keys forgets them all; without its listener the cache serves nothing:
docs/architecture.md, "API keys are checked once per process".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import psycopg

from orderly.tenancy.domain import Principal

log = logging.getLogger(__name__)

CHANNEL = "orderly_api_keys"
# Reconnection delays after the listening connection fails, in seconds.
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0)


class ApiKeyCache:
    """The principals of valid API keys, by the SHA-256 of the key; see the module's
    docstring."""

    def __init__(self, *, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self.generation = 0
        self.listening = False
        self._keys: dict[bytes, Principal] = {}

    def find(self, key_hash: bytes) -> Principal | None:
        return self._keys.get(key_hash) if self.listening else None

    def keep(self, key_hash: bytes, principal: Principal, *, generation: int) -> None:
        """Keep a key looked up while the cache was at ``generation``: only if nothing
        changed since, and only while listening."""
        if not self.listening or generation != self.generation:
            return
        if len(self._keys) >= self.max_keys:
            self._keys.clear()
        self._keys[key_hash] = principal

    def forget_all(self) -> None:
        self.generation += 1
        self._keys.clear()

    async def listen(self, url: str) -> None:
        """Listen for key changes until cancelled, reconnecting after a failure."""
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # Anything may have changed while nobody listened.
                    self.forget_all()
                    self.listening = True
                    failures = 0
                    async for _ in conn.notifies():
                        self.forget_all()
            except psycopg.Error:
                log.warning("API key change listener lost its connection", exc_info=True)
            finally:
                self.listening = False
                self.forget_all()
            await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
            failures += 1


@contextlib.asynccontextmanager
async def listening(cache: ApiKeyCache, url: str) -> AsyncIterator[None]:
    """Run the cache's listener for the life of the block (an app's lifespan)."""
    task = asyncio.create_task(cache.listen(url), name="api-key-changes")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
