"""What the stock and fulfillment steps need of a WooCommerce connection: its settings and its
authenticated calls."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from orderly.connections.port import PlatformAccess


class ShopApi(Protocol):
    access: PlatformAccess

    async def call(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> httpx.Response:
        """One authenticated call; `path` is under /wp-json."""
        ...

    async def api(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """One authenticated call under /wp-json/wc/v3; its JSON answer."""
        ...
