"""ShipBob as a provider (API 2026-01): a Personal Access Token as Bearer and the
`shipbob_channel_id` header; orders created and found by our `reference_id`, cancelled with
`:cancel`, news from their shipments, stock from inventory levels; a 429 waits `x-retry-after`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import httpx
from pydantic import BaseModel, Field, StringConstraints

from orderly.kit.vendor_http import VendorHttp
from orderly.outside.errors import ProviderRefused, ProviderUnavailable
from orderly.outside.port import (
    CancelOutcome,
    OutboundOrder,
    Polled,
    ProviderAccess,
    SentOrder,
    StockSnapshot,
)
from orderly.outside.settings import ProviderSettings
from orderly.outside.shipbob.mapping import events_of, order_payload
from orderly.outside.shipbob.webhooks import TOPICS

PRODUCTION = "https://api.shipbob.com"
SANDBOX = "https://sandbox-api.shipbob.com"
VERSION = "2026-01"
# References asked per lookup (they travel in one query string).
REFERENCES_PER_CALL = 50
PAGE_SIZE = 250


class ShipBobSettings(ProviderSettings):
    channel_id: Annotated[int, Field(ge=1, le=2**31 - 1)] = Field(
        description="The channel with write scope (GET /channel)"
    )
    shipping_method: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ] = "Standard"
    sandbox: bool = False
    location_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        default=None, description="A ShipBob fulfillment center; ShipBob chooses when unset"
    )
    webhooks: bool = Field(
        default=False,
        description="Subscribe to ShipBob's webhooks (needs an https ORDERLY_PUBLIC_URL):"
        " a shipment is then polled at once rather than within the minute",
    )


def base_url(settings: ShipBobSettings) -> str:
    return SANDBOX if settings.sandbox else PRODUCTION


async def _standard_retry_after(response: httpx.Response) -> None:
    """ShipBob names its wait `x-retry-after`: the shared vendor HTTP honours `Retry-After`."""
    if "retry-after" not in response.headers and "x-retry-after" in response.headers:
        response.headers["retry-after"] = response.headers["x-retry-after"]


class ShipBobProvider:
    kind: ClassVar[str] = "shipbob"
    settings_model: ClassVar[type[BaseModel]] = ShipBobSettings
    credential_choices: ClassVar[tuple[tuple[str, ...], ...]] = (("token",),)
    notes: ClassVar[tuple[str, ...]] = (
        "News is polled every minute; with settings.webhooks ShipBob's webhooks make it at once.",
        "Stock is compared with ShipBob's on-hand units over all its fulfillment centers.",
        "Delivery is not followed: ShipBob reports a shipment with its carrier and tracking.",
    )

    def __init__(self, access: ProviderAccess) -> None:
        if access.http is None:
            raise RuntimeError("ShipBob needs its HTTP client")
        self.settings = ShipBobSettings.model_validate(access.settings)
        self.http: VendorHttp = access.http
        hooks = self.http.client.event_hooks.setdefault("response", [])
        if _standard_retry_after not in hooks:
            hooks.append(_standard_retry_after)
        self.root = f"{base_url(self.settings)}/{VERSION}"
        self.headers = {
            "Authorization": f"Bearer {access.credentials['token']}",
            "shipbob_channel_id": str(self.settings.channel_id),
        }

    async def send(self, order: OutboundOrder) -> SentOrder:
        payload = order_payload(
            order,
            shipping_method=self.settings.shipping_method,
            location_id=self.settings.location_id,
        )
        try:
            response = await self.http.send(
                "POST", f"{self.root}/order", json=payload, headers=self.headers, once=True
            )
        except ProviderRefused:
            # The reference is unique at ShipBob: an order an earlier attempt made is ours.
            found = await self.find(order.reference)
            if found is None:
                raise
            return found
        return SentOrder(order.reference, str(_json(response)["id"]))

    async def find(self, reference: str) -> SentOrder | None:
        views = await self._orders([reference])
        for view in views:
            if view.get("reference_id") == reference:
                return SentOrder(reference, str(view["id"]))
        return None

    async def cancel(self, sent: SentOrder, *, reason: str) -> CancelOutcome:
        try:
            response = await self.http.send(
                "POST", f"{self.root}/order/{sent.provider_ref}:cancel", headers=self.headers
            )
        except ProviderRefused:
            return CancelOutcome.REFUSED
        result = _json(response).get("status")
        return CancelOutcome.CANCELLED if result == "Success" else CancelOutcome.REFUSED

    async def poll(self, open_orders: Sequence[SentOrder]) -> Polled:
        references = [o.reference for o in open_orders]
        events = []
        for start in range(0, len(references), REFERENCES_PER_CALL):
            for view in await self._orders(references[start : start + REFERENCES_PER_CALL]):
                events.extend(events_of(view))
        return Polled(events=tuple(events))

    async def archive(self, sources: Sequence[str]) -> None:
        return None

    async def stock(self) -> StockSnapshot | None:
        taken_at = datetime.now(UTC)
        on_hand: dict[str, int] = {}
        url: str | None = f"{self.root}/inventory-level"
        params: dict[str, Any] | None = {"PageSize": PAGE_SIZE, "IsActive": "true"}
        while url:
            body = _json(await self.http.send("GET", url, params=params, headers=self.headers))
            for item in body.get("items") or []:
                sku = item.get("sku")
                if sku:
                    on_hand[sku] = on_hand.get(sku, 0) + int(
                        item.get("total_on_hand_quantity") or 0
                    )
            url, params = body.get("next"), None
            if url and url.startswith("/"):
                url = f"{base_url(self.settings)}{url}"
        return StockSnapshot(
            snapshot_id=f"inventory-level:{taken_at.isoformat()}",
            taken_at=taken_at,
            on_hand=on_hand,
        )

    async def check(self) -> None:
        await self.http.send("GET", f"{self.root}/channel", headers=self.headers)

    async def subscribe(self, url: str) -> Mapping[str, str]:
        if not self.settings.webhooks:
            return {}
        body = {"url": url, "topics": list(TOPICS), "description": "Orderly"}
        created = _json(
            await self.http.send("POST", f"{self.root}/webhook", json=body, headers=self.headers)
        )
        return {"webhook_secret": str(created["secret"])}

    async def close(self) -> None:
        await self.http.client.aclose()

    async def _orders(self, references: Sequence[str]) -> list[dict[str, Any]]:
        if not references:
            return []
        response = await self.http.send(
            "GET",
            f"{self.root}/order",
            params={"ReferenceIds": ",".join(references), "Limit": len(references)},
            headers=self.headers,
        )
        body = _json(response)
        return [v for v in body if isinstance(v, dict)] if isinstance(body, list) else []


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ProviderUnavailable(
            f"ShipBob answered {response.status_code} with something that is not JSON"
        ) from None
